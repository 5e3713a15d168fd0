//! Pure business rules of Flux: validated newtypes, roles and the permission matrix.
//! No IO, no async, no server dependencies — the SPA compiles this crate to wasm32 and
//! validates input exactly as the server does.

pub mod cnpj;
pub mod email;
pub mod org;
pub mod password;
pub mod permissions;
pub mod person;
pub mod phone;
pub mod tenant;
pub mod text;

pub use cnpj::{Cnpj, CnpjError};
pub use email::{Email, EmailError};
pub use org::{org_name_from_email, slug_base};
pub use password::{Password, PasswordError};
pub use permissions::{MemberRole, MemberStatus, Permission, RoleParseError};
pub use person::{PersonName, PersonNameError};
pub use phone::{PhoneBr, PhoneError};
pub use tenant::{OrgId, PermissionDenied, TenantCtx, UserId};
