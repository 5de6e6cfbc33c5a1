// An admin signs an account out everywhere, disables it and enables it again from the Users
// section; the account's own browser session ends each time, as the buttons promise.
import { expect, saveScreenshot, test } from './fixtures';
import { AdminPage } from './pages/admin-page';
import { LoginPage } from './pages/login-page';

test('an admin ends an account’s sessions, disables and enables it', async ({ browser, page, makeUser }) => {
  const admin = await makeUser('admin');
  const analyst = await makeUser('analyst');
  // The analyst works in a browser of their own.
  const theirs = await browser.newContext();
  const analystPage = await theirs.newPage();
  const signInAnalyst = async () => {
    await new LoginPage(analystPage).goto();
    await new LoginPage(analystPage).signInAs(analyst.username, analyst.password);
    await expect(analystPage.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  };
  const analystSignedIn = async () =>
    (await analystPage.request.get('/api/v1/auth/me')).status();
  await signInAnalyst();
  expect(await analystSignedIn()).toBe(200);

  await new LoginPage(page).goto();
  await new LoginPage(page).signInAs(admin.username, admin.password);
  const adminPage = new AdminPage(page);
  await adminPage.goto();
  await adminPage.openSection('Users');
  const row = adminPage.userRow(analyst.username);
  await expect(row).toContainText('active');

  await adminPage.confirmUserAction(
    analyst.username,
    `Sign out ${analyst.username} everywhere`,
    'Confirm sign out',
  );
  await expect(page.getByRole('status')).toContainText(`Every session of ${analyst.username} has ended.`);
  expect(await analystSignedIn()).toBe(401);

  await signInAnalyst();
  await adminPage.confirmUserAction(analyst.username, `Disable ${analyst.username}`, 'Confirm disable');
  await expect(row).toContainText('disabled');
  await expect(row.getByRole('button', { name: `Enable ${analyst.username}` })).toBeVisible();
  expect(await analystSignedIn()).toBe(401);
  await saveScreenshot(page, 'admin-users-disabled');
  const refused = await analystPage.request.post('/api/v1/auth/login', {
    data: { username: analyst.username, password: analyst.password },
  });
  expect(refused.status()).toBe(401);

  await adminPage.confirmUserAction(analyst.username, `Enable ${analyst.username}`, 'Confirm enable');
  await expect(row).toContainText('active');
  await signInAnalyst();
  expect(await analystSignedIn()).toBe(200);
  await theirs.close();
});
