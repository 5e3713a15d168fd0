//! How a connection to a mail server (SMTP, IMAP) is protected.

vocabulary! {
    /// How a mail connection is protected.
    pub enum MailSecurity in "mail_security" {
        /// Plain text: local relays and test servers only.
        None = "none",
        /// Plain connect upgraded with STARTTLS (port 587; required, not optional).
        Starttls = "starttls",
        /// TLS from the first byte (ports 465 and 993).
        Tls = "tls",
    }
}
