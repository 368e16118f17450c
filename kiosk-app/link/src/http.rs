//! A small HTTP/1.1 client for the POS link over hyper, plain or TLS with a pinned
//! certificate. It exists (rather than a general-purpose client) because the outbox must
//! know *where* a request failed: before anything was sent (safe to treat as not
//! delivered) or after (ambiguous: the POS may have the order, so only the same key may be
//! sent again).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use crate::wire::MAX_BODY_BYTES;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// Nothing was sent: connection refused, no route, DNS, TLS handshake.
    #[error("cannot connect to {0}")]
    Connect(String),
    /// The server's certificate is not the pinned one (an operator problem, not the LAN's).
    #[error("{0}")]
    Certificate(String),
    /// The request may have reached the server: timeout or connection lost after sending.
    #[error("{0}")]
    Ambiguous(String),
    /// The answer's body is over the limit or could not be read.
    #[error("the answer was unreadable: {0}")]
    Body(String),
    #[error("bad URL {0:?}: {1}")]
    Url(String, String),
}

#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// From sending the request to the whole answer.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts { connect: Duration::from_secs(3), request: Duration::from_secs(10) }
    }
}

/// A complete answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// One server, reached through one kept-alive connection (re-opened when it breaks).
pub struct HttpClient {
    host: String,
    port: u16,
    /// Path prefix from the URL, without a trailing slash.
    prefix: String,
    tls: Option<Arc<ClientConfig>>,
    timeouts: Timeouts,
    default_headers: HeaderMap,
    conn: Mutex<Option<SendRequest<Full<Bytes>>>>,
}

impl HttpClient {
    /// `url` is `http://HOST:PORT/PREFIX` or `https://…`; https needs a pinned config.
    pub fn new(
        url: &str,
        tls: Option<Arc<ClientConfig>>,
        timeouts: Timeouts,
    ) -> Result<HttpClient, HttpError> {
        let bad = |why: &str| HttpError::Url(url.to_owned(), why.to_owned());
        let uri: Uri = url.parse().map_err(|e: hyper::http::uri::InvalidUri| bad(&e.to_string()))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(bad("the scheme must be http or https")),
        };
        if https && tls.is_none() {
            return Err(bad("https needs the server certificate's pin (tls_pin_sha256)"));
        }
        let host = uri.host().ok_or_else(|| bad("no host"))?.trim_matches(['[', ']']).to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(HttpClient {
            host,
            port,
            prefix,
            tls: if https { tls } else { None },
            timeouts,
            default_headers: HeaderMap::new(),
            conn: Mutex::new(None),
        })
    }

    /// Adds a header sent with every request (the token, the protocol version).
    pub fn with_header(mut self, name: &'static str, value: &str) -> Result<HttpClient, HttpError> {
        let value = HeaderValue::from_str(value).map_err(|_| {
            HttpError::Url(self.host.clone(), format!("header {name} holds a forbidden character"))
        })?;
        self.default_headers.insert(name, value);
        Ok(self)
    }

    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, HttpError> {
        let addr = self.authority();
        let tcp =
            tokio::time::timeout(self.timeouts.connect, TcpStream::connect((self.host.as_str(), self.port)))
                .await
                .map_err(|_| HttpError::Connect(format!("{addr}: no answer in {:?}", self.timeouts.connect)))?
                .map_err(|e| HttpError::Connect(format!("{addr}: {e}")))?;
        tcp.set_nodelay(true).ok();
        let io: Box<dyn Io> = match &self.tls {
            None => Box::new(tcp),
            Some(config) => {
                let name = ServerName::try_from(self.host.clone())
                    .map_err(|e| HttpError::Connect(format!("{addr}: {e}")))?;
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                let handshake = tokio::time::timeout(self.timeouts.connect, connector.connect(name, tcp))
                    .await
                    .map_err(|_| HttpError::Connect(format!("{addr}: TLS handshake timed out")))?;
                match handshake {
                    Ok(stream) => Box::new(stream),
                    Err(e) if e.to_string().contains("pinned") => {
                        return Err(HttpError::Certificate(e.to_string()));
                    }
                    Err(e) => return Err(HttpError::Connect(format!("{addr}: TLS: {e}"))),
                }
            }
        };
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| HttpError::Connect(format!("{addr}: {e}")))?;
        tokio::spawn(async move {
            // Ends when the server closes or the sender is dropped; errors surface on send.
            let _ = connection.await;
        });
        Ok(sender)
    }

    fn request(&self, method: Method, path: &str, headers: &HeaderMap, body: Bytes) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = method;
        *req.uri_mut() = format!("{}{}", self.prefix, path).parse().unwrap_or_else(|_| Uri::from_static("/"));
        let h = req.headers_mut();
        h.insert(
            header::HOST,
            HeaderValue::from_str(&self.authority()).unwrap_or(HeaderValue::from_static("pos")),
        );
        h.extend(self.default_headers.clone());
        h.extend(headers.clone());
        req
    }

    /// Sends one request on the kept-alive connection and reads the whole answer.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<Answer, HttpError> {
        let mut slot = self.conn.lock().await;
        let kept = match slot.take() {
            Some(mut s) => s.ready().await.is_ok().then_some(s),
            None => None,
        };
        let mut sender = match kept {
            Some(s) => s,
            None => self.connect().await?,
        };
        let req = self.request(method, path, &headers, body);
        let exchange = async {
            let response = sender.send_request(req).await.map_err(|e| {
                // hyper tells us when the request never left: only then is it "not sent".
                if e.is_canceled() && !e.is_incomplete_message() {
                    HttpError::Connect(format!("{}: {e}", self.authority()))
                } else {
                    HttpError::Ambiguous(format!("{}: the connection broke: {e}", self.authority()))
                }
            })?;
            read_answer(response).await
        };
        let answer = tokio::time::timeout(self.timeouts.request, exchange).await.map_err(|_| {
            HttpError::Ambiguous(format!("{}: no answer in {:?}", self.authority(), self.timeouts.request))
        })??;
        *slot = Some(sender);
        Ok(answer)
    }

    /// Opens a long-lived streaming request (Server-Sent Events) on its own connection.
    /// The answer's head is bounded by the request timeout; the body is the caller's.
    pub async fn open_stream(&self, path: &str, headers: HeaderMap) -> Result<Response<Incoming>, HttpError> {
        let mut sender = self.connect().await?;
        let req = self.request(Method::GET, path, &headers, Bytes::new());
        tokio::time::timeout(self.timeouts.request, sender.send_request(req))
            .await
            .map_err(|_| {
                HttpError::Ambiguous(format!(
                    "{}: no answer in {:?}",
                    self.authority(),
                    self.timeouts.request
                ))
            })?
            .map_err(|e| HttpError::Ambiguous(format!("{}: {e}", self.authority())))
    }
}

async fn read_answer(response: Response<Incoming>) -> Result<Answer, HttpError> {
    let (parts, body) = response.into_parts();
    let body = Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(|e| HttpError::Body(e.to_string()))?
        .to_bytes();
    Ok(Answer { status: parts.status, headers: parts.headers, body })
}
