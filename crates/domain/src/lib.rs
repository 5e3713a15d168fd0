//! Pure business rules of Flux: validated newtypes, roles and the permission matrix,
//! the template language and the send window.
//! No IO, no async, no server dependencies — the SPA compiles this crate to wasm32 and
//! validates input exactly as the server does.

#[macro_use]
pub mod vocabulary;

pub mod ai_message;
pub mod cadence;
pub mod channel;
pub mod cnpj;
pub mod email;
pub mod enrollment;
pub mod holidays;
pub mod interaction;
pub mod job;
pub mod lead;
pub mod lead_filter;
pub mod mail_security;
pub mod message_template;
pub mod one_off_email;
pub mod org;
pub mod password;
pub mod permissions;
pub mod person;
pub mod phone;
pub mod send;
pub mod send_window;
pub mod subscription;
pub mod template;
pub mod template_facts;
pub mod tenant;
pub mod text;

pub use channel::Channel;
pub use cnpj::{Cnpj, CnpjError};
pub use email::{Email, EmailError};
pub use org::{org_name_from_email, slug_base};
pub use password::{Password, PasswordError};
pub use permissions::{InvitationStatus, MemberRole, MemberStatus, Permission};
pub use person::{PersonName, PersonNameError};
pub use phone::{PhoneBr, PhoneError};
pub use send_window::{SendWindow, SendWindowError};
pub use template::{TemplateText, Variable};
pub use template_facts::TemplateFacts;
pub use tenant::{OrgId, PermissionDenied, TenantCtx, UserId};
