// The system status page.
import type { Locator, Page } from '@playwright/test';

export class StatusPage {
  readonly page: Page;
  readonly heading: Locator;
  readonly overall: Locator;
  readonly version: Locator;
  readonly database: Locator;
  readonly refresh: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { level: 1, name: 'System status' });
    this.overall = page.getByTestId('status-overall');
    this.version = page.getByTestId('status-version');
    this.database = page.getByTestId('status-database');
    this.refresh = page.getByRole('button', { name: 'Refresh' });
  }

  async goto(): Promise<void> {
    await this.page.goto('/status');
  }
}
