//! Every file liftlab writes goes through [`AtomicFile`]: the bytes go to a
//! hidden temporary file in the destination's directory
//! (`.NAME.XXXXXX.tmp`), which is flushed, synced and renamed over the
//! destination only when complete. A reader never sees a torn or
//! truncated file under the final name: two writers racing for one path
//! leave one complete file (the last rename wins), and a run that fails
//! leaves nothing (the temporary file is removed). A process killed
//! outright (SIGKILL, power loss) may leave its hidden temporary file
//! behind, never a partial file at the final path.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file being written: [`Write`] into it, then [`AtomicFile::commit`].
/// Dropped without `commit`, it removes its temporary file and the
/// destination is untouched.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    tmp: BufWriter<tempfile::NamedTempFile>,
}

impl AtomicFile {
    /// Starts writing `path` (the directory must exist).
    ///
    /// # Errors
    /// [`Error::Write`] naming `path` if the temporary file cannot be
    /// created (no such directory, no permission, a file in the way).
    pub fn create(path: &Path) -> Result<Self> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // An ordinary output file (0o666 less the umask, as `File::create`),
        // not tempfile's private 0o600.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = builder.tempfile_in(dir).map_err(|e| Error::Write { path: path.to_path_buf(), source: plain(e) })?;
        Ok(AtomicFile { path: path.to_path_buf(), tmp: BufWriter::with_capacity(1 << 16, tmp) })
    }

    /// The destination.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes, syncs and renames the file into place.
    ///
    /// # Errors
    /// [`Error::Write`] naming the destination; the temporary file is removed.
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        let err = |source| Error::Write { path: path.clone(), source };
        let tmp = self.tmp.into_inner().map_err(|e| err(e.into_error()))?;
        tmp.as_file().sync_all().map_err(err)?;
        tmp.persist(&path).map_err(|e| err(plain(e.error)))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tmp.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tmp.flush()
    }
}

/// The OS error alone: `tempfile` adds the temporary file's name, which
/// the user never asked for (the error names the destination).
fn plain(e: std::io::Error) -> std::io::Error {
    if let Some(code) = e.raw_os_error() {
        return std::io::Error::from_raw_os_error(code);
    }
    let text = e.to_string();
    match text.find(" at path ") {
        Some(i) => std::io::Error::new(e.kind(), text[..i].to_string()),
        None => e,
    }
}

/// Writes `bytes` to `path` atomically ([`AtomicFile`]).
///
/// # Errors
/// [`Error::Write`] naming `path`; nothing is left there on failure.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes).map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_whole_files_and_leaves_nothing_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_atomic(&path, b"a,b\n1,2\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n1,2\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o644, 0o644, "an ordinary file, readable by others under umask 022: {mode:o}");
        }
        // Not committed: the old file stays, the temporary file goes.
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"partial").unwrap();
        drop(f);
        assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n1,2\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // No such directory: a write error naming the file.
        let e = write_atomic(&dir.path().join("no/such/x.csv"), b"x").unwrap_err();
        assert!(matches!(e, Error::Write { .. }) && e.to_string().starts_with("cannot write "), "{e}");
    }
}
