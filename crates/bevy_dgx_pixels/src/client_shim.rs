//! TEMPORARY compile shim for `dgx_pixels_client` until the real crate lands. Not to be committed as done.
#![allow(
    missing_docs,
    dead_code,
    clippy::unused_async,
    clippy::allow_attributes,
    clippy::allow_attributes_without_reason
)]
use dgx_pixels_protocol::{GenerateRequest, Health, Job, JobAccepted, JobEvent, JobId, ModelList};
use futures_util::Stream;

#[derive(Clone, Debug)]
pub struct Client;
#[derive(Debug, thiserror::Error)]
#[error("client not available yet")]
pub struct ClientError;
pub struct ClientBuilder;
impl ClientBuilder {
    pub fn base_url(self, _: &str) -> Self {
        self
    }
    pub fn token(self, _: String) -> Self {
        self
    }
    pub fn build(self) -> Result<Client, ClientError> {
        Ok(Client)
    }
}
impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder
    }
    pub async fn health(&self) -> Result<Health, ClientError> {
        Err(ClientError)
    }
    pub async fn models(&self) -> Result<ModelList, ClientError> {
        Err(ClientError)
    }
    pub async fn generate(&self, _: &GenerateRequest, _: Option<&str>) -> Result<JobAccepted, ClientError> {
        Err(ClientError)
    }
    pub async fn cancel(&self, _: &JobId) -> Result<Job, ClientError> {
        Err(ClientError)
    }
    pub async fn wait(&self, _: &JobId) -> Result<Job, ClientError> {
        Err(ClientError)
    }
    pub fn events(&self, _: &JobId) -> impl Stream<Item = Result<JobEvent, ClientError>> + use<> {
        futures_util::stream::empty()
    }
    pub async fn sheet_png(&self, _: &JobId) -> Result<Vec<u8>, ClientError> {
        Err(ClientError)
    }
    pub async fn atlas_ron(&self, _: &JobId) -> Result<String, ClientError> {
        Err(ClientError)
    }
    pub async fn sprite_ron(&self, _: &JobId) -> Result<String, ClientError> {
        Err(ClientError)
    }
}
