// The frame around signed-in pages: sidebar navigation and top bar.
import type { Locator, Page } from '@playwright/test';

export type NavItem =
  | 'Overview'
  | 'Search'
  | 'Alerts'
  | 'Rules'
  | 'Cases'
  | 'Dashboards'
  | 'Admin'
  | 'System status';

export class AppShell {
  readonly page: Page;
  readonly nav: Locator;
  readonly currentUser: Locator;
  readonly themeToggle: Locator;
  readonly signOut: Locator;

  constructor(page: Page) {
    this.page = page;
    this.nav = page.getByRole('navigation', { name: 'Main' });
    this.currentUser = page.getByTestId('current-user');
    this.themeToggle = page.getByRole('button', { name: /^Switch to (light|dark) theme$/ });
    this.signOut = page.getByRole('button', { name: 'Sign out' });
  }

  navLink(item: NavItem): Locator {
    return this.nav.getByRole('link', { name: item, exact: true });
  }

  async open(item: NavItem): Promise<void> {
    await this.navLink(item).click();
  }
}
