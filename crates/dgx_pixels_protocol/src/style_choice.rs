//! Styles stacked on a request: `style` (with `lora_strength`) and then `styles`, each a LoRA
//! chained in this order, at most [`limits::STACKED_STYLES`] in all.

use serde::{Deserialize, Serialize};

use crate::GenerateRequest;
use crate::limits::{self, FieldError, check_len, check_range};

/// One stacked style: a name from `/api/v1/models` and its LoRA strength (the style's
/// recommended strength when absent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct StyleChoice {
    /// The style's name.
    pub name: String,
    /// LoRA strength, 0.0..=2.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strength: Option<f32>,
}

impl GenerateRequest {
    /// Every style the request stacks, in order: `style` (at `lora_strength`) first, then
    /// `styles`.
    pub fn style_choices(&self) -> Vec<StyleChoice> {
        let single = self.style.iter().map(|name| StyleChoice { name: name.clone(), strength: self.lora_strength });
        single.chain(self.styles.iter().cloned()).collect()
    }

    /// `styles`: at most [`limits::STACKED_STYLES`] with `style`, each named once, strengths in
    /// range.
    pub(crate) fn validate_styles(&self) -> Result<(), FieldError> {
        let before = usize::from(self.style.is_some());
        check_len("styles", self.styles.len(), 0..=limits::STACKED_STYLES - before)?;
        let choices = self.style_choices();
        for (index, choice) in self.styles.iter().enumerate() {
            check_len("styles[].name", choice.name.chars().count(), 1..=limits::STYLE_MAX_CHARS)?;
            if let Some(strength) = choice.strength {
                check_range("styles[].strength", strength, &limits::LORA_STRENGTH)?;
            }
            if choices[..before + index].iter().any(|earlier| earlier.name == choice.name) {
                return Err(FieldError::Breaks {
                    field: "styles[].name",
                    rule: "must name each style once",
                    value: choice.name.clone(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: &str) -> GenerateRequest {
        serde_json::from_str(json).unwrap()
    }

    /// `style` stays valid and comes first; `styles` stacks up to four in all.
    #[test]
    fn styles_stack_after_the_single_style() {
        let stacked = request(
            r#"{"prompt":"x","style":"a","lora_strength":0.7,"styles":[{"name":"b"},{"name":"c","strength":1.2}]}"#,
        );
        stacked.validate().unwrap();
        let names: Vec<(String, Option<f32>)> =
            stacked.style_choices().into_iter().map(|choice| (choice.name, choice.strength)).collect();
        assert_eq!(names, [("a".into(), Some(0.7)), ("b".into(), None), ("c".into(), Some(1.2))]);
        let four = request(r#"{"prompt":"x","styles":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"}]}"#);
        four.validate().unwrap();
        // No styles: nothing in the JSON, so the hashes of older requests stay the same.
        assert!(!serde_json::to_string(&request(r#"{"prompt":"x"}"#)).unwrap().contains("styles"));
        assert!(
            serde_json::from_str::<GenerateRequest>(r#"{"prompt":"x","styles":[{"name":"a","colour":1}]}"#).is_err()
        );
    }
}
