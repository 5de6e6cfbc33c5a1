// A viewer browses the rule catalogue: the built-in MozDef and Sigma packs
// are there, a filter narrows them, and a row opens to its condition.
import { expect, saveScreenshot, test } from './fixtures';
import { AppShell } from './pages/app-shell';
import { LoginPage } from './pages/login-page';

test('the rule catalogue lists the built-in packs and opens a rule', async ({ page, makeUser }) => {
  const viewer = await makeUser('viewer');
  await new LoginPage(page).goto();
  await new LoginPage(page).signInAs(viewer.username, viewer.password);
  await new AppShell(page).open('Rules');
  await expect(page.getByRole('heading', { level: 1, name: 'Rules' })).toBeVisible();
  await expect(page.getByTestId('rule-count')).toHaveText(/^\d+ rules$/);
  const rows = page.getByTestId('rule-row');
  expect(await rows.count()).toBeGreaterThan(200);

  await page.getByLabel('Filter rules').fill('bruteforce_ssh');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('SSH brute force');
  await expect(rows.first()).toContainText('≥ 10 in 2 min by source.ip');
  await rows.first().click();
  await expect(page.getByTestId('rule-detail')).toContainText('process.name:sshd');
  await saveScreenshot(page, 'rules-catalogue');

  // ATT&CK ids filter too.
  await page.getByLabel('Filter rules').fill('T1003');
  await expect(page.getByTestId('rule-count')).toHaveText(/^\d+ of \d+ rules$/);
  expect(await rows.count()).toBeGreaterThan(0);
});
