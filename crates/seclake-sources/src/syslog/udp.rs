//! Syslog over UDP (RFC 5426): one message per datagram. Datagrams the
//! queue has no room for are dropped and counted; so are the ones the
//! kernel dropped because the socket's receive buffer was full, read from
//! `/proc/net/udp` (its `drops` column for this socket), with the buffer
//! size configurable (`receive_buffer_bytes`, `SO_RCVBUF`).

use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::Ordering;
use std::time::Duration;

use socket2::{Domain, Socket, Type};

use super::queue::Intake;

/// Binds `addr`, with the kernel receive buffer set when asked.
pub fn bind(addr: SocketAddr, receive_buffer: Option<usize>) -> std::io::Result<UdpSocket> {
    let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, None)?;
    if let Some(n) = receive_buffer {
        sock.set_recv_buffer_size(n)?;
    }
    sock.bind(&addr.into())?;
    let sock: UdpSocket = sock.into();
    // Wakes up now and then to see whether the source is stopping.
    sock.set_read_timeout(Some(Duration::from_millis(200)))?;
    Ok(sock)
}

/// Receives until the source stops.
pub fn receive(sock: UdpSocket, intake: Intake, max: usize) {
    let mut buf = vec![0u8; 65_536];
    loop {
        // Stopping, what has arrived is still read; a wait ends it.
        let stopping = intake.stop.load(Ordering::Relaxed);
        let Ok((n, from)) = sock.recv_from(&mut buf) else {
            if stopping {
                return;
            }
            continue;
        };
        let mut msg = &buf[..n];
        while let [rest @ .., b'\n' | b'\r' | 0] = msg {
            msg = rest;
        }
        if msg.is_empty() {
            continue;
        }
        if msg.len() > max {
            msg = &msg[..max];
            intake.stats.truncated.fetch_add(1, Ordering::Relaxed);
        }
        intake.offer(from.ip(), msg);
    }
}

/// Datagrams the kernel dropped for this socket since it was opened (its
/// receive buffer was full), when `/proc` tells.
pub fn kernel_drops(sock: &UdpSocket) -> Option<u64> {
    let inode = std::fs::metadata(format!("/proc/self/fd/{}", sock.as_raw_fd()))
        .ok()?
        .ino();
    ["/proc/net/udp", "/proc/net/udp6"]
        .iter()
        .find_map(|table| {
            let text = std::fs::read_to_string(table).ok()?;
            drops_of(&text, inode)
        })
}

/// The `drops` column (the last) of the line whose `inode` column (the
/// tenth) is `inode`.
fn drops_of(table: &str, inode: u64) -> Option<u64> {
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.get(9)?.parse::<u64>().ok()? != inode {
            return None;
        }
        cols.last()?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_drop_count_is_read_for_this_socket() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n  \
  5: 0100007F:0202 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 17\n  \
  6: 0100007F:0203 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 999 2 0000000000000000 3\n";
        assert_eq!(drops_of(table, 4242), Some(17));
        assert_eq!(drops_of(table, 999), Some(3));
        assert_eq!(drops_of(table, 1), None);
        let sock = bind("127.0.0.1:0".parse().unwrap(), Some(1 << 20)).unwrap();
        assert_eq!(kernel_drops(&sock), Some(0));
    }
}
