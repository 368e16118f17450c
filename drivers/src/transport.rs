//! How a device is reached: where it is ([`Endpoint`], plain data the configuration holds)
//! and, with the `io` feature, an open connection to it ([`Port`]: a serial port or TCP
//! behind one `AsyncRead + AsyncWrite` type). Drivers are generic over any such stream, so
//! tests give them PTYs, loopback sockets or in-memory pipes instead.

use std::path::PathBuf;

#[cfg(feature = "io")]
pub use port::{Port, is_gone};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlowControl {
    #[default]
    None,
    /// XON/XOFF
    Software,
    /// RTS/CTS
    Hardware,
}

/// Where a device is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Serial { path: PathBuf, baud: u32, flow_control: FlowControl },
    Tcp { address: String },
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Serial { path, baud, .. } => write!(f, "{} at {baud} baud", path.display()),
            Endpoint::Tcp { address } => write!(f, "tcp://{address}"),
        }
    }
}

#[cfg(feature = "io")]
mod port {
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::Duration;

    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    use tokio::net::TcpStream;
    use tokio_serial::SerialPortBuilderExt;

    use super::{Endpoint, FlowControl};

    /// An open connection to a device.
    pub enum Port {
        Serial(tokio_serial::SerialStream),
        Tcp(TcpStream),
    }

    impl Port {
        pub async fn open(endpoint: &Endpoint, timeout: Duration) -> io::Result<Port> {
            match endpoint {
                Endpoint::Serial { path, baud, flow_control } => {
                    let flow = match flow_control {
                        FlowControl::None => tokio_serial::FlowControl::None,
                        FlowControl::Software => tokio_serial::FlowControl::Software,
                        FlowControl::Hardware => tokio_serial::FlowControl::Hardware,
                    };
                    let port = tokio_serial::new(path.to_string_lossy(), *baud)
                        .flow_control(flow)
                        .timeout(timeout)
                        .open_native_async()
                        .map_err(io::Error::other)?;
                    // Bytes waiting from before we opened answer nobody's request: the tail
                    // of a response a process that died left unread, or noise. Read as ours,
                    // a stray ACK or NACK in them would be taken for the answer to our next
                    // request (a NACK resends it, and a resent charge is charged twice).
                    tokio_serial::SerialPort::clear(&port, tokio_serial::ClearBuffer::Input)
                        .map_err(io::Error::other)?;
                    Ok(Port::Serial(port))
                }
                Endpoint::Tcp { address } => {
                    let stream = tokio::time::timeout(timeout, TcpStream::connect(address)).await.map_err(
                        |_| io::Error::new(io::ErrorKind::TimedOut, format!("connecting to {address}")),
                    )??;
                    stream.set_nodelay(true)?;
                    Ok(Port::Tcp(stream))
                }
            }
        }
    }

    /// Whether an I/O error means the device is gone (unplugged, closed, reset): EOF and EIO
    /// both mean that on a serial port, depending on the kernel.
    pub fn is_gone(e: &io::Error) -> bool {
        matches!(
            e.kind(),
            io::ErrorKind::UnexpectedEof
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::NotConnected
        ) || e.raw_os_error() == Some(5) // EIO
    }

    impl AsyncRead for Port {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            match self.get_mut() {
                Port::Serial(s) => Pin::new(s).poll_read(cx, buf),
                Port::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            }
        }
    }

    impl AsyncWrite for Port {
        fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            match self.get_mut() {
                Port::Serial(s) => Pin::new(s).poll_write(cx, buf),
                Port::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            }
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            match self.get_mut() {
                Port::Serial(s) => Pin::new(s).poll_flush(cx),
                Port::Tcp(s) => Pin::new(s).poll_flush(cx),
            }
        }

        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            match self.get_mut() {
                Port::Serial(s) => Pin::new(s).poll_shutdown(cx),
                Port::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            }
        }
    }
}
