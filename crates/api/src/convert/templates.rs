//! Templates: records and renders to wire DTOs.

use flux_domain::{
    template::{Piece, VariableGroup},
    Variable,
};
use flux_dto::templates::{
    PreviewPiece, PreviewPieceKind, RenderedText, TemplateDto, TemplatePreview, TemplateStats,
    TemplateVariable, TemplateVariableList, VariableSource,
};
use flux_persistence::templates::TemplateRecord;

use flux_app::templates::Preview;

pub fn template(t: &TemplateRecord) -> TemplateDto {
    TemplateDto {
        id: t.id,
        name: t.name.clone(),
        channel: t.channel,
        subject: t.subject.clone(),
        body: t.body.clone(),
        variables_used: t.variables_used.clone(),
        is_system: t.is_system,
        created_by: t.created_by,
        created_at: t.created_at,
        updated_at: t.updated_at,
        stats: TemplateStats {
            sent: t.sent,
            replied: t.replied,
            reply_rate: if t.sent > 0 {
                t.replied as f64 / t.sent as f64
            } else {
                0.0
            },
        },
    }
}

pub fn variable_catalogue() -> TemplateVariableList {
    TemplateVariableList {
        items: Variable::ALL
            .iter()
            .map(|v| TemplateVariable {
                name: v.name().to_owned(),
                source: match v.group() {
                    VariableGroup::Lead => VariableSource::Lead,
                    VariableGroup::Sender => VariableSource::Sender,
                    VariableGroup::Organization => VariableSource::Organization,
                    VariableGroup::Context => VariableSource::Context,
                },
                label: v.label().to_owned(),
                example: v.example().to_owned(),
            })
            .collect(),
    }
}

fn rendered(pieces: Vec<Piece>, missing: &mut Vec<String>) -> RenderedText {
    let pieces: Vec<PreviewPiece> = pieces
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => PreviewPiece {
                kind: PreviewPieceKind::Text,
                text,
                variable: None,
            },
            Piece::Value { text, variable } => PreviewPiece {
                kind: PreviewPieceKind::Value,
                text,
                variable,
            },
            Piece::Missing { variable } => {
                missing.push(variable.clone());
                PreviewPiece {
                    kind: PreviewPieceKind::Missing,
                    text: format!("{{{{{variable}}}}}"),
                    variable: Some(variable),
                }
            }
        })
        .collect();
    RenderedText {
        text: pieces.iter().map(|p| p.text.as_str()).collect(),
        pieces,
    }
}

pub fn preview(p: Preview) -> TemplatePreview {
    let mut missing = Vec::new();
    let subject = p.subject.map(|s| rendered(s, &mut missing));
    let body = rendered(p.body, &mut missing);
    missing.sort();
    missing.dedup();
    TemplatePreview {
        subject,
        body,
        sendable: missing.is_empty(),
        missing,
        variables_used: p
            .variables_used
            .iter()
            .map(|v| v.name().to_owned())
            .collect(),
    }
}
