//! The JSON body of every error response.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// `{"error": "<message>", "field": "<name or null>"}`, sent with a 4xx or 5xx status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A sentence for people.
    pub error: String,
    /// JSON path of the request field at fault, when one is.
    pub field: Option<String>,
}

impl ErrorBody {
    /// An error that is not about one field.
    pub fn new(error: impl Into<String>) -> Self {
        Self { error: error.into(), field: None }
    }
}

impl From<&FieldError> for ErrorBody {
    fn from(err: &FieldError) -> Self {
        Self { error: err.to_string(), field: Some(err.field().to_owned()) }
    }
}
