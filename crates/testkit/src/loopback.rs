//! What the fake servers share: a listener on a free 127.0.0.1 port serving each
//! connection on its own task, over one shared state.

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::net::{TcpListener, TcpStream};

/// Starts serving `serve` for every connection; returns the address to connect to.
pub(crate) async fn serve_on_loopback<S, F, Fut>(
    what: &str,
    state: Arc<Mutex<S>>,
    serve: F,
) -> SocketAddr
where
    S: Send + 'static,
    F: Fn(TcpStream, Arc<Mutex<S>>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = std::io::Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind the {what}: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            // A connection's failure ends that connection only.
            tokio::spawn(serve(stream, state.clone()));
        }
    });
    addr
}
