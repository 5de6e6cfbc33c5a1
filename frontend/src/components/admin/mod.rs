//! The administration sections: API keys, users, retention and the audit log.

mod api_key_form;
mod api_key_table;
mod api_keys_panel;
mod audit_panel;
mod audit_row;
mod audit_verify;
mod new_api_key_notice;
mod retention_panel;
mod user_form;
mod users_panel;

pub use api_key_form::ApiKeyForm;
pub use api_key_table::ApiKeyTable;
pub use api_keys_panel::ApiKeysPanel;
pub use audit_panel::AuditPanel;
pub use audit_row::AuditRow;
pub use audit_verify::AuditVerify;
pub use new_api_key_notice::NewApiKeyNotice;
pub use retention_panel::RetentionPanel;
pub use user_form::UserForm;
pub use users_panel::UsersPanel;
