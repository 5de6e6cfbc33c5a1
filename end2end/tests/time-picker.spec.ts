// The time picker and the sort order: Kibana's commonly used ranges, last N
// units, absolute times in a chosen zone, all kept in the URL; the results'
// time column flips newest/oldest first.
import { expect, request as playwrightRequest } from '@playwright/test';
import { test, saveScreenshot } from './fixtures';
import { LoginPage } from './pages/login-page';

test('an analyst picks ranges, a time zone and the sort order, and the URL keeps them', async ({ page, baseURL, makeUser }) => {
  const admin = await makeUser('admin');
  const analyst = await makeUser('analyst');
  const run = `tp${Date.now().toString(36)}`;
  const api = await playwrightRequest.newContext({ baseURL });
  await api.post('/api/v1/auth/login', { data: { username: admin.username, password: admin.password } });
  const created = await api.post('/api/v1/api-keys', { data: { name: `picker-${run}`, scopes: ['ingest'] } });
  const { key } = await created.json();
  const shipper = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { Authorization: `Bearer ${key}` } });
  const now = Date.now();
  // Three events in the last hour, one three days ago.
  const events = [5, 20, 40, 3 * 24 * 60].map((minutes) => ({
    '@timestamp': new Date(now - minutes * 60_000).toISOString(),
    labels: { run },
    message: `event ${minutes} minutes ago`,
  }));
  const sent = await shipper.post('/api/v1/events', { data: events });
  expect((await sent.json()).accepted).toBe(4);

  await new LoginPage(page).goto();
  await new LoginPage(page).signInAs(analyst.username, analyst.password);
  await page.goto(`/search?q=${encodeURIComponent(`labels.run:${run}`)}`);
  await expect(page.getByRole('cell', { name: 'event 5 minutes ago' })).toBeVisible();

  // Commonly used ranges.
  const toggle = page.getByTestId('time-picker');
  await expect(toggle).toContainText('Last 24 hours');
  await toggle.click();
  const panel = page.getByRole('dialog', { name: 'Time range' });
  await expect(panel).toBeVisible();
  await saveScreenshot(page, 'time-picker');
  await panel.getByRole('button', { name: 'Last 90 days' }).click();
  await expect(page).toHaveURL(/from=now-90d/);
  await expect(toggle).toContainText('Last 90 days');
  await expect(page.getByRole('cell', { name: `event ${3 * 24 * 60} minutes ago` })).toBeVisible();

  // Last N units.
  await toggle.click();
  await panel.getByLabel('How many').fill('30');
  await panel.getByLabel('Unit').selectOption('minutes');
  await panel.getByRole('button', { name: 'Apply' }).first().click();
  await expect(page).toHaveURL(/from=now-30m/);
  await expect(page.getByRole('cell', { name: 'event 20 minutes ago' })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'event 40 minutes ago' })).toHaveCount(0);

  // Escape closes the panel.
  await toggle.click();
  await expect(panel).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);

  // A bad expression is refused where it is typed.
  await toggle.click();
  await panel.getByLabel('From').fill('yesterday');
  await expect(panel.getByText('is not a time')).toBeVisible();
  await panel.getByLabel('From').fill('now-1h');
  await panel.getByLabel('To').fill('now');
  await panel.locator('form').nth(2).getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/from=now-1h/);

  // The zone is kept in the URL and shown on the button.
  await toggle.click();
  await panel.getByLabel('Time zone').selectOption('+05:30');
  await expect(page).toHaveURL(/tz=%2B05%3A30|tz=\+05:30/);
  await expect(toggle).toContainText('UTC+05:30');
  // Event times are shown in it too.
  await expect(page.locator('table.hits tbody tr').first()).toContainText('UTC+05:30');
  await expect(panel.getByRole('button', { name: 'Copy link with absolute times' })).toBeVisible();
  await page.keyboard.press('Escape');

  // Oldest first, in the URL too.
  const firstMessage = page.locator('table.hits tbody tr').first();
  await expect(firstMessage).toContainText('event 5 minutes ago');
  await page.locator('table.hits').getByRole('button', { name: '@timestamp', exact: true }).click();
  await expect(page).toHaveURL(/sort=asc/);
  await expect(firstMessage).toContainText('event 40 minutes ago');
  await saveScreenshot(page, 'time-picker-oldest-first');
});
