// The admin page: API keys, users, retention and audit log sections.
import type { Locator, Page } from '@playwright/test';

export type AdminTab = 'API keys' | 'Users' | 'Retention' | 'Audit log';

export class AdminPage {
  readonly page: Page;
  readonly heading: Locator;
  readonly sections: Locator;
  readonly keyName: Locator;
  readonly ingestScope: Locator;
  readonly createKey: Locator;
  readonly newKeyNotice: Locator;
  readonly newKey: Locator;
  readonly dismissNewKey: Locator;
  readonly verifyChain: Locator;
  readonly verifyResult: Locator;
  readonly loadOlder: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { level: 1, name: 'Admin' });
    this.sections = page.getByRole('navigation', { name: 'Admin sections' });
    this.keyName = page.getByLabel('Name', { exact: true });
    this.ingestScope = page.getByRole('checkbox', { name: /ingest/ });
    this.createKey = page.getByRole('button', { name: 'Create key' });
    this.newKeyNotice = page.getByTestId('new-api-key-notice');
    this.newKey = page.getByTestId('new-api-key');
    this.dismissNewKey = page.getByRole('button', { name: 'I have copied it' });
    this.verifyChain = page.getByRole('button', { name: 'Verify chain' });
    this.verifyResult = page.getByTestId('audit-verify-result');
    this.loadOlder = page.getByRole('button', { name: 'Load older' });
  }

  async goto(): Promise<void> {
    await this.page.goto('/admin');
  }

  async openSection(tab: AdminTab): Promise<void> {
    await this.sections.getByRole('link', { name: tab, exact: true }).click();
  }

  keyRow(name: string): Locator {
    return this.page.getByRole('row').filter({ has: this.page.getByRole('cell', { name, exact: true }) });
  }

  async createApiKey(name: string): Promise<void> {
    await this.keyName.fill(name);
    await this.createKey.click();
  }

  policyRow(name: string): Locator {
    return this.keyRow(name);
  }

  async addRetentionPolicy(name: string, category: string, days: number): Promise<void> {
    await this.page.getByLabel('Name', { exact: true }).fill(name);
    await this.page.getByLabel('Category', { exact: true }).fill(category);
    await this.page.getByLabel('Days', { exact: true }).fill(String(days));
    await this.page.getByRole('button', { name: 'Add policy' }).click();
  }

  async deleteRetentionPolicy(name: string): Promise<void> {
    const row = this.policyRow(name);
    await row.getByRole('button', { name: `Delete policy ${name}` }).click();
    await row.getByRole('button', { name: 'Confirm delete' }).click();
  }

  userRow(username: string): Locator {
    return this.keyRow(username);
  }

  /** Presses a row's confirmable action (`Disable alice`, `Sign out alice everywhere`), then confirms. */
  async confirmUserAction(username: string, action: string, confirm: string): Promise<void> {
    const row = this.userRow(username);
    await row.getByRole('button', { name: action }).click();
    await row.getByRole('button', { name: confirm }).click();
  }

  async revokeApiKey(name: string): Promise<void> {
    const row = this.keyRow(name);
    await row.getByRole('button', { name: `Revoke key ${name}` }).click();
    await row.getByRole('button', { name: 'Confirm revoke' }).click();
  }
}
