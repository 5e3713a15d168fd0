//! pt-BR interface texts kept together (for a later i18n pass).

pub const APP_NAME: &str = "Flux";
pub const LOADING: &str = "Carregando…";
pub const RETRY: &str = "Tentar novamente";

pub const NAV_DASHBOARD: &str = "Dashboard";
pub const NAV_LEADS: &str = "Leads";
pub const NAV_CADENCES: &str = "Cadências";
pub const NAV_TEMPLATES: &str = "Templates";
pub const NAV_REPORTS: &str = "Relatórios";
pub const NAV_SETTINGS: &str = "Configurações";
pub const NAV_USERS: &str = "Usuários";
pub const NAV_MAILBOXES: &str = "Caixas de e-mail";
pub const NAV_SENDING: &str = "Envio";
pub const NAV_AI: &str = "Uso de IA";
pub const LOGOUT: &str = "Sair";

pub const EMAIL: &str = "E-mail";
pub const PASSWORD: &str = "Senha";
pub const NAME: &str = "Nome";
pub const ROLE: &str = "Papel";
pub const STATUS: &str = "Status";
