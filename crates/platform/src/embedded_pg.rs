//! A private PostgreSQL cluster started from the installed server binaries
//! (`initdb`/`pg_ctl`) when no `DATABASE_URL` is configured. It listens only on a
//! unix socket inside its own directory. PostgreSQL refuses to run as root, so as
//! root the binaries run as the `postgres` OS user.

use std::{
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Command, Output},
};

use nix::{
    fcntl::{Flock, FlockArg},
    unistd::{Uid, User},
};

/// Port number only names the socket file (`.s.PGSQL.<port>`); there is no TCP listener.
const SOCKET_PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes; `/.s.PGSQL.5432` takes 14 of them.
const MAX_SOCKET_DIR_BYTES: usize = 92;
const DEBIAN_PACKAGE_HINT: &str =
    "install the Debian package `postgresql` (apt-get install -y postgresql) or set DATABASE_URL";

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedPgError {
    #[error("PostgreSQL server binaries (initdb, pg_ctl) were not found: {DEBIAN_PACKAGE_HINT}")]
    BinariesNotFound,
    #[error("running as root, but there is no `postgres` OS user to run PostgreSQL as: {DEBIAN_PACKAGE_HINT}")]
    NoPostgresUser,
    #[error("the data directory {0} is not reachable by the `postgres` OS user: every parent directory needs o+x (or set FLUX_DATA_DIR elsewhere)")]
    Unreachable(PathBuf),
    #[error("the data directory path {0} is too long for a unix socket (max {MAX_SOCKET_DIR_BYTES} bytes): set FLUX_DATA_DIR to a shorter path")]
    PathTooLong(PathBuf),
    #[error("{step} failed: {detail}")]
    Command { step: &'static str, detail: String },
    #[error("io error at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug)]
pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    root: PathBuf,
    run_as: Option<User>,
    /// Held by the process that owns (started or adopted) the cluster; released on drop.
    /// A `flux migrate` next to a running `flux serve` cannot take it, so it leaves the
    /// server's database alone; a cluster left running by a crashed owner is adopted.
    ownership: Option<Flock<std::fs::File>>,
    stopped: bool,
}

impl EmbeddedPostgres {
    /// Initializes the cluster in `root/data` on first use, starts it and waits
    /// until it accepts connections. A second start reuses the data.
    pub fn start(root: &Path, bin_dir: Option<&Path>) -> Result<Self, EmbeddedPgError> {
        let bin_dir = match bin_dir {
            Some(dir) => dir.to_path_buf(),
            None => find_bin_dir().ok_or(EmbeddedPgError::BinariesNotFound)?,
        };
        if !bin_dir.join("initdb").exists() || !bin_dir.join("pg_ctl").exists() {
            return Err(EmbeddedPgError::BinariesNotFound);
        }
        std::fs::create_dir_all(root).map_err(|source| io(root, source))?;
        let root = std::fs::canonicalize(root).map_err(|source| io(root, source))?;
        if root.as_os_str().len() > MAX_SOCKET_DIR_BYTES {
            return Err(EmbeddedPgError::PathTooLong(root));
        }
        let run_as = if Uid::effective().is_root() {
            let user = User::from_name("postgres")
                .ok()
                .flatten()
                .ok_or(EmbeddedPgError::NoPostgresUser)?;
            // Only a directory we just created (or one made by another user) needs it;
            // everything PostgreSQL writes is already owned by `postgres`.
            if owner_of(&root)? != user.uid.as_raw() {
                chown_tree(&root, &user)?;
            }
            ensure_reachable(&root)?;
            Some(user)
        } else {
            None
        };
        let ownership = take_ownership(&root)?;
        let pg = Self {
            bin_dir,
            root,
            run_as,
            ownership,
            stopped: false,
        };
        if pg.ownership.is_none() {
            // Another live flux process owns the cluster: use it as it is.
            tracing::info!("embedded PostgreSQL owned by another flux process: using it");
            pg.wait_until_running()?;
            return Ok(pg);
        }
        if !pg.data_dir().join("PG_VERSION").exists() {
            pg.initdb()?;
        }
        if pg.is_running() {
            tracing::info!("embedded PostgreSQL left running by a previous owner: adopting it");
        } else {
            pg.pg_ctl_start()?;
        }
        Ok(pg)
    }

    /// A visitor waits while the owner is still starting the cluster.
    fn wait_until_running(&self) -> Result<(), EmbeddedPgError> {
        for _ in 0..120 {
            if self.is_running() {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        Err(EmbeddedPgError::Command {
            step: "waiting for the owning flux process to start PostgreSQL",
            detail: "not running after 60 s".into(),
        })
    }

    /// Connection URL for a database in this cluster (over the unix socket).
    pub fn url(&self, database: &str) -> String {
        let host: String =
            url::form_urlencoded::byte_serialize(self.root.to_string_lossy().as_bytes()).collect();
        format!("postgres://postgres@localhost/{database}?host={host}&port={SOCKET_PORT}")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Fast shutdown (disconnects clients, checkpoints) of a cluster this process owns;
    /// idempotent.
    pub fn stop(&mut self) -> Result<(), EmbeddedPgError> {
        if self.stopped || self.ownership.is_none() {
            return Ok(());
        }
        let data = self.data_dir();
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
                "stop",
            ],
        )?;
        self.stopped = true;
        check("pg_ctl stop", out)?;
        // A stopped cluster is nobody's: the next start may take it over.
        self.ownership = None;
        Ok(())
    }

    fn initdb(&self) -> Result<(), EmbeddedPgError> {
        tracing::info!(dir = %self.data_dir().display(), "initializing embedded PostgreSQL cluster");
        let data = self.data_dir();
        let out = self.run(
            "initdb",
            &[
                "-D",
                &data.to_string_lossy(),
                "-U",
                "postgres",
                // Only the owner can reach the socket directory; see ensure_socket_dir.
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        )?;
        check("initdb", out)
    }

    fn pg_ctl_start(&self) -> Result<(), EmbeddedPgError> {
        let data = self.data_dir();
        let log = self.root.join("postgres.log");
        // pg_ctl hands -o to /bin/sh: quote the directory (paths may contain spaces).
        let dir = self.root.to_string_lossy().replace('\'', "'\\''");
        let options = format!(
            "-k '{dir}' -p {SOCKET_PORT} -c listen_addresses='' -c unix_socket_permissions=0700"
        );
        tracing::info!(dir = %data.display(), "starting embedded PostgreSQL");
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-l",
                &log.to_string_lossy(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )?;
        check("pg_ctl start", out).map_err(|e| match e {
            EmbeddedPgError::Command { step, detail } => EmbeddedPgError::Command {
                step,
                detail: format!("{detail} (see {})", log.display()),
            },
            other => other,
        })
    }

    fn is_running(&self) -> bool {
        let data = self.data_dir();
        self.run("pg_ctl", &["-D", &data.to_string_lossy(), "status"])
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<Output, EmbeddedPgError> {
        let path = self.bin_dir.join(program);
        let mut cmd = Command::new(&path);
        cmd.args(args)
            .current_dir(&self.root)
            .env("LC_ALL", "C.UTF-8");
        if let Some(user) = &self.run_as {
            cmd.uid(user.uid.as_raw())
                .gid(user.gid.as_raw())
                .env("HOME", &self.root);
        }
        cmd.output().map_err(|source| io(&path, source))
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::warn!(error = %e, "embedded PostgreSQL did not stop cleanly");
        }
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.
pub fn find_bin_dir() -> Option<PathBuf> {
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version: u32 = entry
                .file_name()
                .to_str()?
                .split('.')
                .next()?
                .parse()
                .ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, bin)| bin)
}

fn check(step: &'static str, out: Output) -> Result<(), EmbeddedPgError> {
    if out.status.success() {
        Ok(())
    } else {
        let detail = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        let detail = if detail.is_empty() {
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        } else {
            detail
        };
        Err(EmbeddedPgError::Command { step, detail })
    }
}

fn chown_tree(dir: &Path, user: &User) -> Result<(), EmbeddedPgError> {
    nix::unistd::chown(dir, Some(user.uid), Some(user.gid))
        .map_err(|e| io(dir, std::io::Error::from(e)))?;
    for entry in std::fs::read_dir(dir).map_err(|source| io(dir, source))? {
        let path = entry.map_err(|source| io(dir, source))?.path();
        let meta = std::fs::symlink_metadata(&path).map_err(|source| io(&path, source))?;
        if meta.is_dir() {
            chown_tree(&path, user)?;
        } else {
            nix::unistd::chown(&path, Some(user.uid), Some(user.gid))
                .map_err(|e| io(&path, std::io::Error::from(e)))?;
        }
    }
    Ok(())
}

/// `Some(lock)` when no other live process owns the cluster directory.
fn take_ownership(root: &Path) -> Result<Option<Flock<std::fs::File>>, EmbeddedPgError> {
    let path = root.join("flux.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| io(&path, source))?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(Some(lock)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, errno)) => Err(io(&path, std::io::Error::from(errno))),
    }
}

fn owner_of(path: &Path) -> Result<u32, EmbeddedPgError> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata(path)
        .map_err(|source| io(path, source))?
        .uid())
}

/// The `postgres` user must be able to traverse every parent of the cluster dir.
fn ensure_reachable(root: &Path) -> Result<(), EmbeddedPgError> {
    use std::os::unix::fs::PermissionsExt;
    for ancestor in root.ancestors().skip(1) {
        let mode = std::fs::metadata(ancestor)
            .map_err(|source| io(ancestor, source))?
            .permissions()
            .mode();
        if mode & 0o001 == 0 {
            return Err(EmbeddedPgError::Unreachable(root.to_path_buf()));
        }
    }
    Ok(())
}

fn io(path: &Path, source: std::io::Error) -> EmbeddedPgError {
    EmbeddedPgError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_binaries_name_the_debian_package() {
        let dir = tempfile::tempdir().unwrap();
        let err = EmbeddedPostgres::start(dir.path(), Some(&dir.path().join("nope"))).unwrap_err();
        assert!(matches!(err, EmbeddedPgError::BinariesNotFound));
        assert!(err.to_string().contains("apt-get install -y postgresql"));
    }

    #[test]
    fn url_points_at_the_private_socket() {
        let pg = EmbeddedPostgres {
            bin_dir: PathBuf::from("/bin"),
            root: PathBuf::from("/srv/my flux&co/pg"),
            run_as: None,
            ownership: None,
            stopped: true,
        };
        assert_eq!(
            pg.url("flux"),
            "postgres://postgres@localhost/flux?host=%2Fsrv%2Fmy+flux%26co%2Fpg&port=5432"
        );
    }

    #[test]
    fn too_long_data_paths_are_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("d".repeat(100));
        let err = EmbeddedPostgres::start(&deep, find_bin_dir().as_deref()).unwrap_err();
        assert!(matches!(err, EmbeddedPgError::PathTooLong(_)), "{err}");
        assert!(err.to_string().contains("FLUX_DATA_DIR"));
    }

    /// Starts a real cluster (in a path with a space), stops it, starts it again on the
    /// same data, and leaves a cluster it found running alone.
    #[test]
    fn starts_stops_and_restarts_on_existing_data() {
        if find_bin_dir().is_none() {
            panic!("PostgreSQL binaries are required for this test: {DEBIAN_PACKAGE_HINT}");
        }
        let base = std::env::temp_dir().join(format!("flux embedded {}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let mut pg = EmbeddedPostgres::start(&base, None).unwrap();
        assert!(pg.is_running());
        assert!(pg.data_dir().join("PG_VERSION").exists());
        pg.stop().unwrap();
        assert!(!pg.is_running());
        let mut pg2 = EmbeddedPostgres::start(&base, None).unwrap();
        assert!(pg2.is_running());
        // A second handle on the running cluster (like `flux migrate` beside `flux serve`)
        // must not stop it.
        let mut visitor = EmbeddedPostgres::start(&base, None).unwrap();
        assert!(visitor.ownership.is_none());
        visitor.stop().unwrap();
        drop(visitor);
        assert!(pg2.is_running(), "the visitor left the cluster running");

        // The owner dies without stopping PostgreSQL (kill -9): the next start adopts the
        // cluster and stops it at the end.
        drop(pg2.ownership.take());
        std::mem::forget(pg2);
        let mut heir = EmbeddedPostgres::start(&base, None).unwrap();
        assert!(heir.ownership.is_some() && heir.is_running());
        heir.stop().unwrap();
        assert!(
            !heir.is_running(),
            "an adopted cluster is stopped by its new owner"
        );
        let _ = std::fs::remove_dir_all(&base);
    }
}
