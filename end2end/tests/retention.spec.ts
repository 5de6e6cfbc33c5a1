// An admin sets a category's retention in the UI, applies retention, and removes the policy.
import { expect, saveScreenshot, test } from './fixtures';
import { AdminPage } from './pages/admin-page';
import { AppShell } from './pages/app-shell';
import { LoginPage } from './pages/login-page';

test('an admin adds and deletes a retention policy', async ({ page, makeUser }) => {
  const admin = await makeUser('admin');
  const name = `logins-${Date.now().toString(36)}`;
  await new LoginPage(page).goto();
  await new LoginPage(page).signInAs(admin.username, admin.password);
  await new AppShell(page).open('Admin');
  const adminPage = new AdminPage(page);
  await adminPage.openSection('Retention');
  await expect(page).toHaveURL(/tab=retention/);
  await expect(page.getByText('90 days')).toBeVisible();

  await adminPage.addRetentionPolicy(name, 'Authentication', 365);
  const row = adminPage.policyRow(name);
  await expect(row).toContainText('authentication');
  await expect(row).toContainText('365');
  await expect(row).toContainText('any');

  await page.getByRole('button', { name: 'Apply retention now' }).click();
  await expect(page.getByRole('status')).toContainText(/Dropped \d+ whole days?, deleted \d+ events?/);
  await saveScreenshot(page, 'admin-retention');

  await adminPage.deleteRetentionPolicy(name);
  await expect(row).toHaveCount(0);
});
