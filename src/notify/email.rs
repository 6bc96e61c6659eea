//! Email to the person: one message per notice and address, in the
//! person's language, plain text plus simple HTML, sent through SMTP
//! (lettre over rustls: STARTTLS, implicit TLS, or plain on a trusted
//! network) or written as a `.eml` file into a folder (the demo).

use super::messages;
use crate::config::{EmailConfig, EmailTransport, Languages, SmtpConfig, SmtpSecurity};
use crate::domain::Notice;
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
    #[error("SMTP did not answer within {0:?}")]
    Timeout(std::time::Duration),
    #[error("cannot write the message file: {0}")]
    Write(#[from] std::io::Error),
}

/// The message telling `to` about `notice`.
pub fn message(
    config: &EmailConfig,
    notice: &Notice,
    to: &str,
    app: &str,
    languages: &Languages,
) -> Result<Message, EmailError> {
    let words = messages::words(notice, app, languages);
    let mailbox = |a: &str| {
        a.parse::<Mailbox>()
            .map_err(|_| EmailError::Address(a.to_owned()))
    };
    let mut builder = Message::builder()
        .from(mailbox(&config.from)?)
        .to(mailbox(to)?)
        .subject(words.subject.clone());
    if let Some(reply_to) = &config.reply_to {
        builder = builder.reply_to(mailbox(reply_to)?);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            words.text(),
            words.html(),
        ))
        .map_err(|e| EmailError::Build(e.to_string()))
}

/// A plain test message, for `mfa-gate notify-test`.
pub fn test_message(config: &EmailConfig, to: &str, app: &str) -> Result<Message, EmailError> {
    let mailbox = |a: &str| {
        a.parse::<Mailbox>()
            .map_err(|_| EmailError::Address(a.to_owned()))
    };
    Message::builder()
        .from(mailbox(&config.from)?)
        .to(mailbox(to)?)
        .subject(format!("{app}: mfa-gate test message"))
        .header(ContentType::TEXT_PLAIN)
        .body(format!(
            "This is a test from mfa-gate ({app}): notifications by email work.\n"
        ))
        .map_err(|e| EmailError::Build(e.to_string()))
}

/// Send `message` the configured way; `name` names its file in a folder.
pub async fn deliver(config: &EmailConfig, message: Message, name: &str) -> Result<(), EmailError> {
    match &config.transport {
        EmailTransport::Folder(dir) => {
            let dir = dir.clone();
            let path = dir.join(format!("{name}.eml"));
            let bytes = message.formatted();
            tokio::task::spawn_blocking(move || {
                std::fs::create_dir_all(&dir)?;
                std::fs::write(path, bytes)
            })
            .await
            .map_err(|e| EmailError::Write(std::io::Error::other(e.to_string())))??;
            Ok(())
        }
        EmailTransport::Smtp(smtp) => {
            let transport = transport(smtp)?;
            let send = transport.send(message);
            match tokio::time::timeout(smtp.timeout, send).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(EmailError::Smtp(e.to_string())),
                Err(_) => Err(EmailError::Timeout(smtp.timeout)),
            }
        }
    }
}

fn transport(smtp: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, EmailError> {
    let builder = match smtp.security {
        SmtpSecurity::None => {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str())
        }
        SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
            .map_err(|e| EmailError::Smtp(e.to_string()))?,
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
            .map_err(|e| EmailError::Smtp(e.to_string()))?,
    };
    let mut builder = builder.port(smtp.port).timeout(Some(smtp.timeout));
    if let Some((user, password)) = &smtp.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
    }
    Ok(builder.build())
}
