//! A pseudo-terminal whose slave end is symlinked at a chosen path, so a driver opens it like
//! any serial port (`/dev/ttyUSB0`), and whose master end is async for the simulator.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use serialport::{SerialPort, TTYPort};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The simulator's end of a PTY. The slave is kept open too, so the device "stays plugged
/// in" while drivers open and close it.
pub struct PtyDevice {
    master: AsyncFd<File>,
    _slave: TTYPort,
    link: PathBuf,
    slave_path: String,
}

impl PtyDevice {
    /// Creates the PTY and points `link` at its slave (replacing an old link).
    pub fn create(link: &Path) -> io::Result<PtyDevice> {
        let (master, slave) = TTYPort::pair().map_err(io::Error::other)?;
        let slave_path = slave.name().unwrap_or_default();
        let fd = master.into_raw_fd();
        // SAFETY: `fd` was just released by `into_raw_fd` and is owned by nobody else.
        let file = unsafe { File::from_raw_fd(fd) };
        set_nonblocking(&file)?;
        if link.symlink_metadata().is_ok() {
            std::fs::remove_file(link)?;
        }
        std::os::unix::fs::symlink(&slave_path, link)?;
        // SAFETY: the `File` owns the descriptor and keeps it open for as long as the AsyncFd
        // holds it; `as_raw_fd` always returns that same descriptor.
        let master = unsafe { AsyncFd::register(file) }.map_err(|e| io::Error::other(e.to_string()))?;
        Ok(PtyDevice { master, _slave: slave, link: link.to_owned(), slave_path })
    }

    pub fn slave_path(&self) -> &str {
        &self.slave_path
    }
}

impl Drop for PtyDevice {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.link);
    }
}

fn set_nonblocking(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: plain fcntl calls on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

impl AsyncRead for PtyDevice {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.master.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|inner| inner.get_ref().read(unfilled)) {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                // EIO: no slave open right now; not an end for the simulator, so wait.
                Ok(Err(e)) if e.raw_os_error() == Some(libc::EIO) => {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for PtyDevice {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(self.master.poll_write_ready(cx))?;
            match guard.try_io(|inner| inner.get_ref().write(data)) {
                Ok(result) => return Poll::Ready(result),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
