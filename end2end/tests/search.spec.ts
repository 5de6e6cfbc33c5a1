// An analyst searches events in the explorer: query, histogram, field values,
// event detail, a shareable URL, and event data that is never run as markup.
import { expect, request as playwrightRequest } from '@playwright/test';
import { test, saveScreenshot } from './fixtures';
import { AppShell } from './pages/app-shell';
import { LoginPage } from './pages/login-page';

test('an analyst searches, filters by a field value, opens an event and shares the URL', async ({ page, baseURL, makeUser }) => {
  const admin = await makeUser('admin');
  const analyst = await makeUser('analyst');
  const run = `run${Date.now().toString(36)}`;
  const api = await playwrightRequest.newContext({ baseURL });
  await api.post('/api/v1/auth/login', { data: { username: admin.username, password: admin.password } });
  const created = await api.post('/api/v1/api-keys', { data: { name: `search-${run}`, scopes: ['ingest'] } });
  const { key } = await created.json();
  const shipper = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: { Authorization: `Bearer ${key}` } });
  const now = Date.now();
  const events = [];
  for (let i = 0; i < 30; i++) {
    events.push({
      '@timestamp': new Date(now - i * 60_000).toISOString(),
      labels: { run },
      host: { name: i % 3 === 0 ? 'bastion-1' : 'web-01' },
      source: { ip: `203.0.113.${i}` },
      user: { name: i % 2 === 0 ? 'root' : 'deploy' },
      event: { action: 'ssh_login', outcome: i % 2 === 0 ? 'failure' : 'success' },
      message: i === 0 ? `<script>window.__pwned = true</script> ${run}` : `Failed password for root from 203.0.113.${i} port 22 ssh2`,
    });
  }
  const sent = await shipper.post('/api/v1/events', { data: events });
  expect((await sent.json()).accepted).toBe(30);

  await new LoginPage(page).goto();
  await new LoginPage(page).signInAs(analyst.username, analyst.password);
  await page.goto('/search');
  await expect(page.getByRole('heading', { level: 1, name: 'Search' })).toBeVisible();

  // `/` focuses the query; a broken query is marked, not run.
  await page.locator('body').press('/');
  const query = page.getByRole('searchbox', { name: 'Query' });
  await expect(query).toBeFocused();
  await query.fill('labels.run:(');
  await expect(page.getByTestId('query-error')).toContainText('expected a value');
  await saveScreenshot(page, 'search-query-error');
  await expect(page.getByRole('button', { name: 'Search', exact: true })).toBeDisabled();

  // Where KQL and Lucene differ, the query runs as KQL reads it and says so.
  await query.fill('user.name:root user.name:deploy');
  await expect(page.getByTestId('query-warnings')).toContainText('read as AND');
  await expect(page.getByTestId('query-error')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Search', exact: true })).toBeEnabled();
  await saveScreenshot(page, 'search-query-warning');
  // A field no recent event has is flagged, with the name it was likely meant to be.
  await query.fill(`labels.rnu:${run}`);
  await expect(page.getByTestId('query-warnings')).toContainText('did you mean labels.run?');

  // Field names complete from recent events.
  await query.fill('');
  await query.pressSequentially('labels.r');
  await expect(page.getByRole('listbox', { name: 'Fields' })).toContainText('labels.run');
  await query.press('Tab');
  await expect(query).toHaveValue('labels.run:');
  await saveScreenshot(page, 'search-autocomplete');
  // The query is coloured as typed: field names, values, operators.
  await expect(page.locator('.query-highlight .hl-field')).toHaveText('labels.run');
  // Values complete from the field's top values in the shown range.
  await query.pressSequentially(run.slice(0, -1));
  await expect(page.getByRole('listbox', { name: 'Values' })).toHaveText(run);
  await saveScreenshot(page, 'search-value-complete');
  await query.press('Tab');
  await expect(query).toHaveValue(`labels.run:${run}`);
  await expect(page.locator('.query-highlight .hl-value')).toHaveText(run);
  await query.press('Enter');
  await expect(page).toHaveURL(new RegExp(`q=labels\\.run%3A${run}`));
  await expect(page.getByTestId('hit-count')).toHaveText('30 events');
  await expect(page.getByTestId('histogram-total')).toHaveText('30 events');
  await expect(page.getByTestId('hit-row')).toHaveCount(30);

  // A field's top values filter the search.
  await page.getByRole('button', { name: /^host\.name\s*30$/ }).click();
  await page.getByRole('button', { name: 'Filter for bastion-1' }).click();
  await expect(page.getByTestId('hit-count')).toHaveText('10 events');
  await expect(query).toHaveValue(`(labels.run:${run}) AND host.name:"bastion-1"`);

  // The event with markup in its message shows it as text, and it never runs.
  const rows = page.getByTestId('hit-row');
  await rows.filter({ hasText: '<script>' }).click();
  const detail = page.getByTestId('hit-detail');
  await expect(detail).toContainText(`<script>window.__pwned = true</script> ${run}`);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned)).toBeUndefined();
  await saveScreenshot(page, 'search-explorer');
  const shell = new AppShell(page);
  await shell.themeToggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  // Let the controls' colour transitions finish before the picture.
  await page.waitForTimeout(400);
  await saveScreenshot(page, 'search-explorer-light');
  await shell.themeToggle.click();

  // The event has a link of its own.
  const link = await detail.getByRole('link', { name: 'Link to this event' }).getAttribute('href');
  expect(link).toContain('event.id');

  // Columns are chosen from the field sidebar and kept in the URL.
  await page.getByRole('button', { name: 'Show event.outcome as a column' }).click();
  await expect(page).toHaveURL(/cols=/);
  const headers = page.locator('table.hits thead th');
  await expect(headers.last()).toContainText('event.outcome');
  await expect(page.getByTestId('hit-row').first()).toContainText(/failure|success/);

  // The shown events download as CSV with the analyst's session.
  const csvHref = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
  const csv = await page.request.get(csvHref ?? '');
  expect(csv.status()).toBe(200);
  const lines = (await csv.text()).trim().split('\r\n');
  // A leading @ is disarmed too: spreadsheets read it as a formula.
  expect(lines[0]).toBe(`@timestamp,host.name,source.ip,user.name,event.action,message,event.outcome`);
  expect(lines).toHaveLength(11);
  expect(lines[1]).toContain('bastion-1');

  // The URL reproduces the view.
  await page.reload();
  await expect(query).toHaveValue(`(labels.run:${run}) AND host.name:"bastion-1"`);
  await expect(page.getByTestId('hit-count')).toHaveText('10 events');
  await expect(headers.last()).toContainText('event.outcome');
  await page.getByRole('button', { name: 'Remove column event.outcome' }).click();
  await expect(headers.last()).toContainText('message');

  // Saved, then opened again from a fresh explorer.
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByLabel('Name', { exact: true }).fill(`bastion ${run}`);
  await saveScreenshot(page, 'search-save-form');
  await page.getByRole('button', { name: 'Save search' }).click();
  await expect(page.getByRole('form', { name: 'Save this search' })).toHaveCount(0);
  await saveScreenshot(page, 'search-saved');
  await page.goto('/search');
  await page.getByLabel('Saved searches').selectOption({ label: `bastion ${run}` });
  await expect(query).toHaveValue(`(labels.run:${run}) AND host.name:"bastion-1"`);
  await expect(page.getByTestId('hit-count')).toHaveText('10 events');

  // Dragging across the histogram zooms to the buckets dragged over.
  const chart = page.getByRole('img', { name: 'Histogram of matching events' });
  const box = await chart.boundingBox();
  if (!box) throw new Error('the histogram has no box');
  await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await expect(page).toHaveURL(/from=20\d\d-/);
  await expect(page.getByTestId('hit-count')).toHaveText('10 events');

  await page.goto(link ?? '/search');
  await expect(page.getByTestId('hit-count')).toHaveText('1 event');
  await expect(page.getByTestId('hit-row')).toContainText('<script>');
  await api.dispose();
  await shipper.dispose();
});
