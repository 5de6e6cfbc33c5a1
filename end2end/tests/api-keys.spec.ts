// An admin creates an API key in the UI, sees its secret once, and revokes it.
import { expect, saveScreenshot, test } from './fixtures';
import { AdminPage } from './pages/admin-page';
import { AppShell } from './pages/app-shell';
import { LoginPage } from './pages/login-page';

test('an admin creates an API key, sees it once and revokes it', async ({ page, makeUser }) => {
  const admin = await makeUser('admin');
  const keyName = `shipper-${Date.now().toString(36)}`;
  await new LoginPage(page).goto();
  await new LoginPage(page).signInAs(admin.username, admin.password);
  await new AppShell(page).open('Admin');
  const adminPage = new AdminPage(page);
  await expect(adminPage.heading).toBeVisible();

  await expect(adminPage.ingestScope).toBeChecked();
  await adminPage.createApiKey(keyName);

  await expect(adminPage.newKeyNotice).toBeVisible();
  await expect(adminPage.newKeyNotice).toContainText('you will not see it again');
  const secret = (await adminPage.newKey.textContent()) ?? '';
  expect(secret.length).toBeGreaterThan(16);
  const row = adminPage.keyRow(keyName);
  await expect(row).toContainText('active');
  await expect(row).toContainText('ingest');
  await expect(row).not.toContainText(secret);
  await saveScreenshot(page, 'admin-api-keys');

  await adminPage.dismissNewKey.click();
  await expect(adminPage.newKeyNotice).toHaveCount(0);
  await expect(page.getByText(secret)).toHaveCount(0);

  await adminPage.revokeApiKey(keyName);
  await expect(row).toContainText('revoked');
  await expect(row.getByRole('button', { name: `Revoke key ${keyName}` })).toHaveCount(0);
});
