// Signing in and out, the system status page and the theme switch.
import { expect, saveScreenshot, test } from './fixtures';
import { AppShell } from './pages/app-shell';
import { LoginPage } from './pages/login-page';
import { StatusPage } from './pages/status-page';

test('a user signs in, reads the system status, switches theme and signs out', async ({ page, makeUser }) => {
  const user = await makeUser('viewer');
  const login = new LoginPage(page);
  const shell = new AppShell(page);
  const status = new StatusPage(page);

  await login.goto();
  await expect(login.heading).toBeVisible();
  await saveScreenshot(page, 'login');
  await login.signInAs(user.username, user.password);

  await expect(shell.currentUser).toContainText(user.displayName);
  await expect(shell.currentUser).toContainText('viewer');
  await shell.open('System status');
  await expect(status.heading).toBeVisible();
  await expect(status.version).toHaveText(/^\d+\.\d+\.\d+/);
  await expect(status.database).toHaveText('ok');
  await expect(status.overall).toHaveText('ok');

  const html = page.locator('html');
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await saveScreenshot(page, 'status-dark');
  await expect(shell.themeToggle).toHaveAccessibleName('Switch to light theme');
  await shell.themeToggle.click();
  await expect(html).toHaveAttribute('data-theme', 'light');
  await expect(shell.themeToggle).toHaveAccessibleName('Switch to dark theme');

  await page.reload();
  await expect(status.version).toBeVisible();
  await expect(html).toHaveAttribute('data-theme', 'light');
  await saveScreenshot(page, 'status-light');

  await shell.signOut.click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(login.submit).toBeVisible();
  const me = await page.request.get('/api/v1/auth/me');
  expect(me.status()).toBe(401);
});

test('a wrong password shows the server message', async ({ page, makeUser }) => {
  const user = await makeUser('analyst');
  const login = new LoginPage(page);

  await login.goto();
  await login.signIn(user.username, `${user.password}-wrong`);

  await expect(login.error).toHaveText(/invalid username or password/i);
  await expect(page).toHaveURL(/\/login/);
});

test('a signed-out visitor is sent to login and brought back afterwards', async ({ page, makeUser }) => {
  const user = await makeUser('viewer');
  const login = new LoginPage(page);

  await page.goto('/status');
  await expect(page).toHaveURL(/\/login\?next=\/status$/);
  await login.signInAs(user.username, user.password);

  await expect(new StatusPage(page).heading).toBeVisible();
  await expect(page).toHaveURL(/\/status$/);
});
