//! The e-mail channel over each sender's own SMTP server.
//!
//! Every message carries our Message-ID, `List-Unsubscribe` with one-click POST
//! (RFC 8058) and an unsubscribe link in the body. With tracking on, an HTML part
//! is added with the open pixel and/or links routed through the click redirect; the
//! plain-text part keeps the original links.

use std::time::Duration;

use async_trait::async_trait;
use flux_integrations::smtp::{self, DeliveryError, HostPolicy};
use flux_platform::SecretsKey;
use lettre::{
    message::{
        header::{HeaderName, HeaderValue},
        Mailbox, MultiPart, SinglePart,
    },
    Message,
};

use flux_app::{
    channel::{ChannelSender, Lookup, OutgoingMessage, SendError, SendReceipt},
    mail_servers::smtp_server,
    tracking::{links, TrackingLinks},
};
use flux_domain::text::escape_html as escape;

/// Per SMTP step (connect, each command, the data). A whole delivery takes at most
/// eight of them, inside the engine's 5-minute dispatch lease.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

pub struct SmtpChannel {
    key: SecretsKey,
    links: TrackingLinks,
    timeout: Duration,
    hosts: HostPolicy,
}

impl SmtpChannel {
    pub fn new(key: SecretsKey, links: TrackingLinks) -> Self {
        Self {
            key,
            links,
            timeout: SMTP_TIMEOUT,
            hosts: HostPolicy::PublicOnly,
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Which addresses mailbox servers may resolve to (public ones by default).
    pub fn with_hosts(mut self, hosts: HostPolicy) -> Self {
        self.hosts = hosts;
        self
    }

    /// The message as it goes on the wire.
    pub fn compose(&self, message: &OutgoingMessage) -> Result<Message, SendError> {
        let mailbox = message
            .mailbox
            .as_ref()
            .ok_or_else(|| SendError::Rejected("O remetente não tem caixa de e-mail".into()))?;
        let from: Mailbox = format!("{} <{}>", quoted(&mailbox.from_name), mailbox.from_email)
            .parse()
            .map_err(|_| {
                SendError::Rejected(format!(
                    "O e-mail do remetente {:?} é inválido",
                    mailbox.from_email
                ))
            })?;
        let to: Mailbox = message.to.parse().map_err(|_| {
            SendError::Rejected(format!("O e-mail do lead {:?} é inválido", message.to))
        })?;
        let unsubscribe = self.links.unsubscribe_url(message.send_id);
        let builder = Message::builder()
            .from(from)
            .to(to)
            .subject(message.subject.clone().unwrap_or_default())
            .message_id(Some(format!("<{}>", message.message_id)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{unsubscribe}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
        let text = format!(
            "{}\n\n--\nPara não receber mais nossos e-mails: {unsubscribe}\n",
            message.body.trim_end()
        );
        let built = if message.tracking.opens || message.tracking.clicks {
            let html = self.html(message, &unsubscribe);
            builder.multipart(MultiPart::alternative_plain_html(text, html))
        } else {
            builder.singlepart(SinglePart::plain(text))
        };
        built.map_err(|e| SendError::Rejected(format!("A mensagem não pôde ser montada: {e}")))
    }

    /// The body as HTML: escaped, line breaks kept, links clickable (through the
    /// redirect when clicks are tracked), the unsubscribe link and the open pixel.
    fn html(&self, message: &OutgoingMessage, unsubscribe: &str) -> String {
        let body = message.body.trim_end();
        let mut html = String::from(
            "<!DOCTYPE html><html><body><div style=\"font-family:Arial,sans-serif;font-size:14px\">",
        );
        let mut at = 0;
        for (index, range) in links(body).into_iter().enumerate() {
            html.push_str(&text_to_html(&body[at..range.start]));
            let target = &body[range.clone()];
            let href = if message.tracking.clicks {
                self.links.click_url(message.send_id, index)
            } else {
                target.to_owned()
            };
            html.push_str(&format!(
                "<a href=\"{}\">{}</a>",
                escape(&href),
                escape(target)
            ));
            at = range.end;
        }
        html.push_str(&text_to_html(&body[at..]));
        html.push_str(&format!(
            "</div><p style=\"font-size:11px;color:#777\">Para não receber mais nossos e-mails, <a href=\"{}\">clique aqui</a>.</p>",
            escape(unsubscribe)
        ));
        if message.tracking.opens {
            html.push_str(&format!(
                "<img src=\"{}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;border:0\">",
                escape(&self.links.open_url(message.send_id))
            ));
        }
        html.push_str("</body></html>");
        html
    }
}

fn text_to_html(text: &str) -> String {
    escape(text).replace("\r\n", "\n").replace('\n', "<br>\n")
}

/// A display name as an RFC 5322 quoted string.
fn quoted(name: &str) -> String {
    let clean: String = name.chars().filter(|c| !c.is_control()).collect();
    format!("\"{}\"", clean.replace('\\', "\\\\").replace('"', "\\\""))
}

#[async_trait]
impl ChannelSender for SmtpChannel {
    async fn send(&self, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        let email = self.compose(message)?;
        let mailbox = message
            .mailbox
            .as_ref()
            .ok_or_else(|| SendError::Rejected("O remetente não tem caixa de e-mail".into()))?;
        let server = smtp_server(&self.key, message.org_id, mailbox, self.timeout, self.hosts)
            .map_err(SendError::Rejected)?;
        let reply = smtp::deliver(&server, email.envelope(), &email.formatted())
            .await
            .map_err(|e| match e {
                DeliveryError::Transient(m) => SendError::Transient {
                    message: format!("SMTP {}: {m}", server.host),
                    retry_after: None,
                },
                DeliveryError::Rejected(m) => {
                    SendError::Rejected(format!("SMTP {}: {m}", server.host))
                }
                DeliveryError::Ambiguous(m) => {
                    SendError::Ambiguous(format!("SMTP {}: {m}", server.host))
                }
            })?;
        Ok(SendReceipt {
            provider_id: Some(reply.chars().take(200).collect()),
        })
    }

    /// SMTP cannot be asked whether it has a message.
    async fn lookup(&self, _message: &OutgoingMessage) -> Lookup {
        Lookup::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_app::channel::{MailboxRoute, Tracking};

    fn channel() -> SmtpChannel {
        SmtpChannel::new(
            SecretsKey::from_bytes([3; 32]),
            TrackingLinks::new(
                SecretsKey::from_bytes([3; 32]),
                &url::Url::parse("https://flux.test").unwrap(),
            ),
        )
    }

    fn message(tracking: Tracking) -> OutgoingMessage {
        OutgoingMessage {
            send_id: uuid::Uuid::new_v4(),
            org_id: uuid::Uuid::new_v4(),
            message_id: "abc@acme.com.br".into(),
            to: "lead@cliente.com.br".into(),
            subject: Some("Olá, Ação & cia".into()),
            body: "Oi <Ana>,\nveja https://acme.com.br/x?a=1&b=2.\nAbraço".into(),
            mailbox: Some(MailboxRoute {
                id: uuid::Uuid::new_v4(),
                from_name: "Ana \"SDR\" Souza".into(),
                from_email: "ana@acme.com.br".into(),
                smtp_host: "127.0.0.1".into(),
                smtp_port: 25,
                smtp_security: flux_domain::mail_security::MailSecurity::None,
                smtp_username: String::new(),
                smtp_password_enc: Vec::new(),
            }),
            tracking,
        }
    }

    #[test]
    fn plain_messages_carry_our_ids_and_the_unsubscribe_headers() {
        let m = message(Tracking::default());
        let raw = String::from_utf8(channel().compose(&m).unwrap().formatted()).unwrap();
        assert!(raw.contains("Message-ID: <abc@acme.com.br>"), "{raw}");
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains(&format!(
            "List-Unsubscribe: <https://flux.test/api/v1/tracking/{}/unsubscribe>",
            channel().links.token(m.send_id)
        )));
        assert!(!raw.contains("text/html"));
    }

    #[test]
    fn tracked_html_escapes_text_and_routes_links_through_the_redirect() {
        let m = message(Tracking {
            opens: true,
            clicks: true,
        });
        let html = channel().html(&m, "https://flux.test/u");
        let token = channel().links.token(m.send_id);
        assert!(html.contains("Oi &lt;Ana&gt;,<br>"), "{html}");
        assert!(html.contains(&format!(
            "<a href=\"https://flux.test/api/v1/tracking/{token}/click/0\">https://acme.com.br/x?a=1&amp;b=2</a>."
        )));
        assert!(html.contains(&format!("/api/v1/tracking/{token}/open")));
        let untracked = channel().html(
            &message(Tracking {
                opens: true,
                clicks: false,
            }),
            "https://flux.test/u",
        );
        assert!(untracked.contains("<a href=\"https://acme.com.br/x?a=1&amp;b=2\">"));
    }
}
