//! `deploy_to_bevy`: a job's three files into `<bevy_project>/assets/<category>/`, safely.
//!
//! The caller (an AI assistant over MCP) chooses the paths, so every one of them is treated as
//! hostile: the project must resolve, symlinks followed, inside one of the configured allowed
//! roots (`serve --allow-root DIR`); `category` and `name` are plain names that cannot climb out;
//! an `assets` or category folder that is a symlink leading outside the root is refused; and
//! existing files are kept unless `overwrite` is set, checked again at the moment of writing so
//! that a file appearing in between is not clobbered either. `overwrite` replaces regular files
//! only: a target that is a symlink (or a folder) is refused rather than silently turned into a
//! file, since the link is something the project's owner put there on purpose.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use dgx_pixels_protocol::{FieldError, limits};
use dgx_pixels_sprite::write::{FileContents, SpriteFiles, WriteError, WriteMode, write_file_set};

/// Where to deploy, as the client sent it.
#[derive(Clone, Debug)]
pub struct DeployTarget<'a> {
    /// The Bevy project folder: absolute, or relative to the first allowed root.
    pub bevy_project: &'a str,
    /// Folder under `assets/`, a plain name such as `characters`.
    pub category: &'a str,
    /// Asset name, `[a-z0-9_-]{1,64}`.
    pub name: &'a str,
    /// Whether existing files may be replaced.
    pub overwrite: bool,
}

/// Why a deploy was refused or failed. Nothing is written in any of these cases, except `Io`
/// after the first file, which the atomic writes keep to whole files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// No `--allow-root` is configured, so no deploy is allowed.
    #[error("deploying is disabled: start the server with --allow-root DIR to name where Bevy projects may live")]
    NoAllowedRoots,
    /// The project does not exist or cannot be resolved.
    #[error("the Bevy project {path} does not exist")]
    ProjectMissing {
        /// The path sent.
        path: String,
    },
    /// The project is not a folder with a `Cargo.toml`.
    #[error("{path} is not a Cargo project (no Cargo.toml)")]
    NotAProject {
        /// The resolved path.
        path: PathBuf,
    },
    /// A path resolves outside every allowed root.
    #[error("{path} lies outside the allowed roots")]
    OutsideRoots {
        /// The resolved path.
        path: PathBuf,
    },
    /// `category` or `name` is not a plain name.
    #[error("invalid {0}")]
    BadName(#[from] FieldError),
    /// Files exist and `overwrite` is false.
    #[error("{} already exists; pass overwrite: true to replace it", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    Exists {
        /// The files in the way.
        paths: Vec<PathBuf>,
    },
    /// A file to be replaced is a symlink or something else that is not a regular file.
    #[error("refusing to replace {}: it is {kind}, not a regular file; remove it or deploy under another name", path.display())]
    NotAFile {
        /// The target path.
        path: PathBuf,
        /// What it is instead, in words ("a symbolic link", "a folder").
        kind: &'static str,
    },
    /// Writing the files failed for another reason.
    #[error(transparent)]
    Write(WriteError),
    /// The file system refused.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The path being created or written.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
}

impl From<WriteError> for DeployError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::Io { path, source } if source.kind() == io::ErrorKind::AlreadyExists => {
                DeployError::Exists { paths: vec![path] }
            }
            WriteError::Io { path, source } => DeployError::Io { path, source },
            WriteError::BadName(field) => DeployError::BadName(field),
            other => DeployError::Write(other),
        }
    }
}

/// Allowed roots, resolved once so that every check compares real paths.
#[derive(Clone, Debug, Default)]
pub struct AllowedRoots(Vec<PathBuf>);

impl AllowedRoots {
    /// Resolves `roots`; a root that does not exist is an error worth failing start-up for.
    pub fn new(roots: &[PathBuf]) -> io::Result<Self> {
        roots
            .iter()
            .map(|root| {
                fs::canonicalize(root)
                    .map_err(|err| io::Error::new(err.kind(), format!("allowed root {}: {err}", root.display())))
            })
            .collect::<io::Result<Vec<_>>>()
            .map(Self)
    }

    /// The first root, which relative paths start from.
    pub fn first(&self) -> Option<&Path> {
        self.0.first().map(PathBuf::as_path)
    }

    /// Whether `resolved` (a canonical path) lies inside a root.
    pub fn contains(&self, resolved: &Path) -> bool {
        self.containing(resolved).is_some()
    }

    /// The first root that contains `resolved` (a canonical path).
    fn containing(&self, resolved: &Path) -> Option<&Path> {
        self.0.iter().map(PathBuf::as_path).find(|root| resolved.starts_with(root))
    }
}

/// Writes `contents` as `<project>/assets/<category>/<name>.{png,atlas.ron,sprite.ron}`.
pub fn deploy(
    roots: &AllowedRoots,
    target: &DeployTarget<'_>,
    contents: &FileContents<'_>,
) -> Result<SpriteFiles, DeployError> {
    let first_root = roots.first().ok_or(DeployError::NoAllowedRoots)?;
    limits::check_name("category", target.category)?;
    limits::check_name("name", target.name)?;

    let requested = Path::new(target.bevy_project);
    let joined = if requested.is_absolute() { requested.to_path_buf() } else { first_root.join(requested) };
    let project =
        fs::canonicalize(&joined).map_err(|_| DeployError::ProjectMissing { path: target.bevy_project.to_owned() })?;
    let root = roots.containing(&project).ok_or_else(|| DeployError::OutsideRoots { path: project.clone() })?;
    if !project.join("Cargo.toml").is_file() {
        return Err(DeployError::NotAProject { path: project });
    }

    let assets = ensure_dir_inside(&project.join("assets"), root)?;
    let folder = ensure_dir_inside(&assets.join(target.category), root)?;
    let files = SpriteFiles::in_dir(&folder, target.name)?;

    let mode = if target.overwrite { WriteMode::Replace } else { WriteMode::CreateNew };
    let targets = [&files.sheet, &files.atlas, &files.sprite];
    if mode == WriteMode::CreateNew {
        let taken: Vec<PathBuf> =
            targets.into_iter().filter(|path| fs::symlink_metadata(path).is_ok()).cloned().collect();
        if !taken.is_empty() {
            return Err(DeployError::Exists { paths: taken });
        }
    } else {
        targets.into_iter().try_for_each(|path| refuse_non_file(path))?;
    }
    write_file_set(&files, contents, mode)?;
    Ok(files)
}

/// Ok when `path` is absent or a regular file, the only things `overwrite` may replace. A link
/// made after this check is replaced by the rename itself, never followed, so nothing outside the
/// folder can be written either way.
fn refuse_non_file(path: &Path) -> Result<(), DeployError> {
    let kind = match fs::symlink_metadata(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(DeployError::Io { path: path.to_path_buf(), source }),
        Ok(meta) if meta.is_file() => return Ok(()),
        Ok(meta) if meta.is_symlink() => "a symbolic link",
        Ok(meta) if meta.is_dir() => "a folder",
        Ok(_) => "a special file",
    };
    Err(DeployError::NotAFile { path: path.to_path_buf(), kind })
}

/// `dir`, created if missing, resolved through any symlink and checked to lie inside `root`.
fn ensure_dir_inside(dir: &Path, root: &Path) -> Result<PathBuf, DeployError> {
    let io_error = |source| DeployError::Io { path: dir.to_path_buf(), source };
    match fs::create_dir(dir) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
        Err(err) => return Err(io_error(err)),
    }
    let resolved = fs::canonicalize(dir).map_err(io_error)?;
    if !resolved.starts_with(root) {
        return Err(DeployError::OutsideRoots { path: resolved });
    }
    if !resolved.is_dir() {
        return Err(io_error(io::Error::new(io::ErrorKind::NotADirectory, "not a folder")));
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    const CONTENTS: FileContents<'static> = FileContents { png: b"png", atlas: "atlas", sprite: "sprite" };

    struct Fixture {
        _dir: tempfile::TempDir,
        root: PathBuf,
        outside: PathBuf,
        roots: AllowedRoots,
    }

    /// A root holding the Cargo project `game`, and a folder outside the root.
    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        fs::create_dir_all(root.join("game")).unwrap();
        fs::write(root.join("game/Cargo.toml"), "[package]").unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("Cargo.toml"), "[package]").unwrap();
        let roots = AllowedRoots::new(std::slice::from_ref(&root)).unwrap();
        Fixture { _dir: dir, root, outside, roots }
    }

    fn target<'a>(project: &'a str, category: &'a str, name: &'a str) -> DeployTarget<'a> {
        DeployTarget { bevy_project: project, category, name, overwrite: false }
    }

    /// Every file under `dir`, symlinks not followed.
    fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if fs::symlink_metadata(&path).unwrap().is_dir() {
                found.extend(files_under(&path));
            } else {
                found.push(path);
            }
        }
        found
    }

    #[test]
    fn deploys_three_files_into_the_category_folder() {
        let f = fixture();
        let project = f.root.join("game");
        let files = deploy(&f.roots, &target(project.to_str().unwrap(), "heroes", "knight"), &CONTENTS).unwrap();
        let folder = fs::canonicalize(project.join("assets/heroes")).unwrap();
        assert_eq!(files.sheet, folder.join("knight.png"));
        assert_eq!(fs::read(&files.sheet).unwrap(), b"png");
        assert_eq!(fs::read_to_string(&files.atlas).unwrap(), "atlas");
        assert_eq!(fs::read_to_string(&files.sprite).unwrap(), "sprite");
        // Relative projects resolve against the first root.
        deploy(&f.roots, &target("game", "heroes", "mage"), &CONTENTS).unwrap();
        assert!(folder.join("mage.png").is_file());
    }

    #[test]
    fn existing_files_are_kept_unless_overwrite() {
        let f = fixture();
        deploy(&f.roots, &target("game", "items", "sword"), &CONTENTS).unwrap();
        let err = deploy(&f.roots, &target("game", "items", "sword"), &FileContents { png: b"new", ..CONTENTS });
        assert!(matches!(err, Err(DeployError::Exists { ref paths }) if paths.len() == 3), "{err:?}");
        let png = f.root.join("game/assets/items/sword.png");
        assert_eq!(fs::read(&png).unwrap(), b"png");
        let replace = DeployTarget { overwrite: true, ..target("game", "items", "sword") };
        deploy(&f.roots, &replace, &FileContents { png: b"new", ..CONTENTS }).unwrap();
        assert_eq!(fs::read(&png).unwrap(), b"new");
    }

    #[test]
    fn escapes_are_refused_and_write_nothing() {
        let f = fixture();
        let outside = f.outside.to_str().unwrap().to_owned();
        // A project symlink inside the root that leads outside it.
        symlink(&f.outside, f.root.join("sneaky")).unwrap();
        // A project whose assets folder is a symlink leading outside the root.
        fs::create_dir_all(f.root.join("linked")).unwrap();
        fs::write(f.root.join("linked/Cargo.toml"), "").unwrap();
        symlink(&f.outside, f.root.join("linked/assets")).unwrap();
        // A category folder that is a symlink leading outside the root.
        fs::create_dir_all(f.root.join("game/assets")).unwrap();
        symlink(&f.outside, f.root.join("game/assets/evil")).unwrap();
        let cases = [
            (target(&outside, "items", "x"), "outside root"),
            (target("../outside", "items", "x"), "relative climb"),
            (target("sneaky", "items", "x"), "project symlink"),
            (target("linked", "items", "x"), "assets symlink"),
            (target("game", "evil", "x"), "category symlink"),
            (target("game", "../..", "x"), "category climb"),
            (target("game", "/tmp", "x"), "absolute category"),
            (target("game", "items", "../x"), "name climb"),
            (target("game", "items", "X.png"), "name with extension"),
            (target("game", "", "x"), "empty category"),
            (target("missing", "items", "x"), "missing project"),
            (target(f.root.to_str().unwrap(), "items", "x"), "root is no Cargo project"),
        ];
        for (case, why) in cases {
            assert!(deploy(&f.roots, &case, &CONTENTS).is_err(), "{why} was accepted");
        }
        assert!(files_under(&f.outside).iter().all(|p| p.ends_with("Cargo.toml")), "wrote outside the root");
        let written: Vec<_> = files_under(&f.root).into_iter().filter(|p| !p.ends_with("Cargo.toml")).collect();
        assert!(written.iter().all(|p| fs::symlink_metadata(p).unwrap().is_symlink()), "{written:?}");
    }

    #[test]
    fn overwrite_refuses_symlinked_targets_and_leaves_them_as_they_are() {
        let f = fixture();
        let folder = f.root.join("game/assets/items");
        fs::create_dir_all(&folder).unwrap();
        let kept = f.root.join("game/kept.png");
        fs::write(&kept, b"kept").unwrap();
        let replace = |name| DeployTarget { overwrite: true, ..target("game", "items", name) };
        for (name, ending) in [("sword", "png"), ("shield", "atlas.ron"), ("bow", "sprite.ron")] {
            let link = folder.join(format!("{name}.{ending}"));
            symlink(&kept, &link).unwrap();
            let err = deploy(&f.roots, &replace(name), &CONTENTS).unwrap_err();
            assert!(
                matches!(err, DeployError::NotAFile { ref path, kind: "a symbolic link" } if *path == link),
                "{err:?}"
            );
            assert!(err.to_string().contains("symbolic link"), "{err}");
            assert!(fs::symlink_metadata(&link).unwrap().is_symlink(), "{link:?} was replaced");
            assert_eq!(fs::read_dir(&folder).unwrap().count(), 1, "a file was written next to the link");
            fs::remove_file(&link).unwrap();
        }
        fs::create_dir(folder.join("axe.png")).unwrap();
        let err = deploy(&f.roots, &replace("axe"), &CONTENTS).unwrap_err();
        assert!(matches!(err, DeployError::NotAFile { kind: "a folder", .. }), "{err:?}");
        assert_eq!(fs::read(&kept).unwrap(), b"kept");
    }

    #[test]
    fn no_roots_means_no_deploys() {
        let f = fixture();
        let err = deploy(&AllowedRoots::default(), &target(f.root.join("game").to_str().unwrap(), "a", "b"), &CONTENTS);
        assert!(matches!(err, Err(DeployError::NoAllowedRoots)));
    }
}
