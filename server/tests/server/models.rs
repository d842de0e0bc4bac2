use dgx_pixels_protocol::{GenerateRequest, JobStatus, SpriteMeta, StyleChoice};

use crate::util::{TestServer, until};

/// LoRAs added to or removed from the models folder appear in `/api/v1/models` without a
/// restart; a malformed sidecar is reported on its style; a style's trigger words reach the
/// job and its name is accepted in requests, alone or stacked with another.
#[tokio::test(flavor = "multi_thread")]
async fn models_folder_changes_are_seen_live() {
    let server = TestServer::start(|_| {}).await;
    let client = &server.client;
    let models = server.dir.path().join("data/models/lora");
    assert!(client.models().await.unwrap().styles.is_empty());

    let folder = models.join("characters");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("hero.json"),
        r#"{"name":"hero16","trigger_words":["16bit"],"recommended_strength":0.7}"#,
    )
    .unwrap();
    std::fs::write(folder.join("hero.safetensors"), b"weights").unwrap();
    std::fs::write(models.join("broken.json"), b"{oops").unwrap();
    std::fs::write(models.join("broken.safetensors"), b"weights").unwrap();
    let list = until("two styles", || async {
        let list = client.models().await.unwrap();
        (list.styles.len() == 2).then_some(list)
    })
    .await;
    let hero = list.styles.iter().find(|s| s.name == "hero16").unwrap();
    assert_eq!((hero.category.as_str(), hero.recommended_strength), ("characters", 0.7));
    assert!(list.styles.iter().find(|s| s.name == "broken").unwrap().sidecar_error.is_some());

    let request = GenerateRequest { style: Some("hero16".into()), ..GenerateRequest::new("knight") };
    let id = client.generate(&request, None).await.unwrap().job_id;
    assert_eq!(client.wait(&id).await.unwrap().status, JobStatus::Completed);

    // Stacked on it: both styles reach the job and its provenance; an unknown one is refused.
    let stacked =
        GenerateRequest { styles: vec![StyleChoice { name: "broken".into(), strength: Some(0.5) }], ..request.clone() };
    let id = client.generate(&stacked, None).await.unwrap().job_id;
    assert_eq!(client.wait(&id).await.unwrap().status, JobStatus::Completed);
    let meta = SpriteMeta::from_ron(&client.sprite_ron(&id).await.unwrap()).unwrap();
    assert_eq!(meta.provenance.unwrap().style.as_deref(), Some("hero16 + broken"));
    let unknown =
        GenerateRequest { styles: vec![StyleChoice { name: "nope".into(), strength: None }], ..request.clone() };
    let err = client.generate(&unknown, None).await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.body().and_then(|body| body.field.as_deref()), Some("styles[].name"));

    std::fs::remove_file(folder.join("hero.safetensors")).unwrap();
    until("the removed style to disappear", || async {
        let list = client.models().await.unwrap();
        (list.styles.len() == 1).then_some(())
    })
    .await;
    assert_eq!(client.generate(&request, None).await.unwrap_err().status(), Some(422));
}
