// The sidebar shows only what a role may open; shortcuts and placeholder pages work.
import { expect, test } from './fixtures';
import { AppShell } from './pages/app-shell';
import { LoginPage } from './pages/login-page';

test('a viewer sees neither Admin nor Search', async ({ page, makeUser }) => {
  const viewer = await makeUser('viewer');
  await new LoginPage(page).goto();
  await new LoginPage(page).signInAs(viewer.username, viewer.password);
  const shell = new AppShell(page);

  await expect(shell.navLink('Overview')).toBeVisible();
  await expect(shell.navLink('Alerts')).toBeVisible();
  await expect(shell.navLink('System status')).toBeVisible();
  await expect(shell.navLink('Admin')).toHaveCount(0);
  await expect(shell.navLink('Search')).toHaveCount(0);

  // Typing the address does not get around the menu.
  await page.goto('/admin');
  await expect(page.getByText('You do not have access to this page')).toBeVisible();
});

test('an admin sees every area', async ({ page, makeUser }) => {
  const admin = await makeUser('admin');
  await new LoginPage(page).goto();
  await new LoginPage(page).signInAs(admin.username, admin.password);
  const shell = new AppShell(page);

  for (const item of ['Overview', 'Search', 'Alerts', 'Rules', 'Cases', 'Dashboards', 'Admin', 'System status'] as const) {
    await expect(shell.navLink(item)).toBeVisible();
  }
});

test('g then s, a, o jump between pages from the keyboard', async ({ page, makeUser }) => {
  const admin = await makeUser('admin');
  await new LoginPage(page).goto();
  await new LoginPage(page).signInAs(admin.username, admin.password);
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();

  await page.keyboard.press('g');
  await page.keyboard.press('s');
  await expect(page.getByRole('heading', { level: 1, name: 'System status' })).toBeVisible();
  await page.keyboard.press('g');
  await page.keyboard.press('a');
  await expect(page.getByRole('heading', { level: 1, name: 'Admin' })).toBeVisible();
  await page.keyboard.press('g');
  await page.keyboard.press('o');
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
});
