// Events sent with an API key show up as a source on the System status page.
import { expect, request as playwrightRequest } from '@playwright/test';
import { test, saveScreenshot } from './fixtures';
import { LoginPage } from './pages/login-page';
import { StatusPage } from './pages/status-page';

test('a shipper that sent events appears among the ingest sources', async ({ page, baseURL, makeUser }) => {
  const admin = await makeUser('admin');
  const api = await playwrightRequest.newContext({ baseURL });
  const login = await api.post('/api/v1/auth/login', {
    data: { username: admin.username, password: admin.password },
  });
  expect(login.status()).toBe(200);
  const sourceName = `shipper-${admin.username}`;
  const created = await api.post('/api/v1/api-keys', { data: { name: sourceName, scopes: ['ingest'] } });
  expect(created.status()).toBe(201);
  const { key } = await created.json();

  const shipper = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { Authorization: `Bearer ${key}` } });
  const body = [
    { message: 'Failed password for root from 203.0.113.7 port 50022 ssh2', process: { name: 'sshd' } },
    { message: '<script>alert("x")</script>', host: { name: 'web01' } },
    { message: 'third' },
  ]
    .map((event) => JSON.stringify(event))
    .join('\n');
  const sent = await shipper.post('/api/v1/events/bulk', { data: body, headers: { 'Content-Type': 'application/x-ndjson' } });
  expect(sent.status()).toBe(200);
  expect((await sent.json()).accepted).toBe(3);

  await new LoginPage(page).goto();
  await new LoginPage(page).signInAs(admin.username, admin.password);
  const status = new StatusPage(page);
  await status.goto();
  const sources = page.getByRole('region', { name: 'Ingest sources' });
  const row = sources.getByRole('row').filter({ hasText: sourceName });
  // Source counts reach the database within a few seconds of the request.
  await expect(async () => {
    await page.reload();
    await expect(row).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(row.getByRole('cell', { name: '3', exact: true })).toBeVisible();
  await expect(row.getByRole('cell', { name: 'API key', exact: true })).toBeVisible();
  await saveScreenshot(page, 'status-sources');
  await api.dispose();
  await shipper.dispose();
});
