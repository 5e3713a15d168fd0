//! The channels a cadence step can use.

vocabulary! {
    /// How a message reaches the lead.
    pub enum Channel in "channel_type" {
        Email = "email",
        Whatsapp = "whatsapp",
    }
}

impl Channel {
    /// pt-BR name for messages.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "e-mail",
            Channel::Whatsapp => "WhatsApp",
        }
    }
}
