//! The network workloads of `benches/net.rs`, timed in alternation: magpie,
//! tokio, magpie, tokio, ... on two runtimes that live side by side, then the
//! median of each and the median of the per-pair ratios. On a VM whose speed
//! drifts over seconds (ours moves up to 2x), criterion's back-to-back groups
//! can catch the two runtimes in different phases; alternating runs cannot.
//! Use it to check a change; the table in BENCHMARKS.md comes from criterion.
//!
//! It also times `echo_floor`: the tcp_echo work done with no runtime at all,
//! two threads each running a bare `mio::Poll` loop over 16 client/server
//! pairs (every pair on one thread: no wakeups, no queues, no cross-core
//! traffic) or, with `--split`, each connection's client on one thread and
//! its server on the other. It bounds what any epoll runtime can reach.
//!
//! ```sh
//! cargo bench --bench net_paired -- [echo] [bulk] [churn] [udp] [floor] [--split] [--runs N]
//! ```

use std::io::{ErrorKind, Read, Write};
use std::time::Instant;

mod net_workloads;
use net_workloads::{on_magpie, on_tokio, ECHO_CONNS, ECHO_ROUNDS, MSG};

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn millis(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// Times `magpie` (labelled `label`) and `tokio` alternately `runs` times
/// (after one untimed run each) and prints the medians and the median ratio.
fn paired(name: &str, label: &str, runs: usize, mut magpie: impl FnMut(), mut tokio: impl FnMut()) {
    magpie();
    tokio();
    let (mut m, mut t, mut ratios) = (vec![], vec![], vec![]);
    for _ in 0..runs {
        let start = Instant::now();
        magpie();
        m.push(millis(start));
        let start = Instant::now();
        tokio();
        t.push(millis(start));
        ratios.push(m[m.len() - 1] / t[t.len() - 1]);
    }
    println!(
        "{name:<18} {label} {:8.2} ms  tokio {:8.2} ms  median {label}/tokio {:.3}",
        median(&m),
        median(&t),
        median(&ratios)
    );
}

/// The runtime-free echo: see the module docs.
mod echo_floor {
    use super::*;
    use mio::net::TcpStream;
    use mio::{Events, Interest, Poll, Token};

    /// `count` connected (client, server) pairs, non-blocking, no Nagle.
    fn pairs(count: usize) -> (Vec<TcpStream>, Vec<TcpStream>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (mut clients, mut servers) = (vec![], vec![]);
        for _ in 0..count {
            let client = std::net::TcpStream::connect(addr).unwrap();
            let (server, _) = listener.accept().unwrap();
            for socket in [&client, &server] {
                socket.set_nodelay(true).unwrap();
                socket.set_nonblocking(true).unwrap();
            }
            clients.push(TcpStream::from_std(client));
            servers.push(TcpStream::from_std(server));
        }
        (clients, servers)
    }

    /// One thread's loop: `clients` each do `ECHO_ROUNDS` round trips of
    /// `MSG` bytes, `servers` echo until their peer closes. Each event is
    /// known to carry one whole message (one is in flight per connection),
    /// so one read per event: the fewest syscalls the protocol allows.
    fn serve(mut clients: Vec<TcpStream>, mut servers: Vec<TcpStream>) {
        let mut poll = Poll::new().unwrap();
        let n = clients.len();
        for (i, socket) in clients.iter_mut().chain(servers.iter_mut()).enumerate() {
            poll.registry()
                .register(socket, Token(i), Interest::READABLE)
                .unwrap();
        }
        let mut rounds = vec![0; n];
        let mut buf = [7u8; MSG];
        for client in &mut clients {
            client.write_all(&buf).unwrap();
        }
        let (mut clients_done, mut servers_done) = (0, 0);
        let mut events = Events::with_capacity(64);
        while clients_done < n || servers_done < servers.len() {
            poll.poll(&mut events, None).unwrap();
            for event in &events {
                let i = event.token().0;
                let (socket, is_client) = match i.checked_sub(n) {
                    None => (&mut clients[i], true),
                    Some(s) => (&mut servers[s], false),
                };
                match socket.read(&mut buf) {
                    Ok(0) => servers_done += 1,
                    Ok(MSG) if is_client => {
                        rounds[i] += 1;
                        if rounds[i] < ECHO_ROUNDS {
                            socket.write_all(&buf).unwrap();
                        } else {
                            socket.shutdown(std::net::Shutdown::Write).unwrap();
                            clients_done += 1;
                        }
                    }
                    Ok(MSG) => socket.write_all(&buf).unwrap(),
                    Ok(other) => panic!("a {MSG} B message arrived as {other} B"),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => panic!("echo floor: {e}"),
                }
            }
        }
    }

    /// `ECHO_CONNS` connections on two threads; `split` puts each client on
    /// the other thread from its server.
    pub fn run(split: bool) {
        let half = ECHO_CONNS / 2;
        let (mut clients_a, mut servers_a) = pairs(ECHO_CONNS);
        let clients_b = clients_a.split_off(half);
        let servers_b = servers_a.split_off(half);
        let (first, second) = if split {
            ((clients_a, servers_b), (clients_b, servers_a))
        } else {
            ((clients_a, servers_a), (clients_b, servers_b))
        };
        let other = std::thread::spawn(move || serve(second.0, second.1));
        serve(first.0, first.1);
        other.join().unwrap();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse().expect("--runs takes a number"))
        .unwrap_or(20);
    let split = args.iter().any(|a| a == "--split");
    let names = ["echo", "bulk", "churn", "udp", "floor"];
    let chosen: Vec<&str> = names
        .into_iter()
        .filter(|n| args.iter().any(|a| a == n))
        .collect();
    let wants = |name: &str| chosen.is_empty() || chosen.contains(&name);

    let magpie = on_magpie::runtime();
    let tokio = on_tokio::runtime();
    macro_rules! workload {
        ($name:literal, $server:ident, $work:ident) => {
            if wants($name) {
                let m_addr = on_magpie::$server(&magpie);
                let t_addr = on_tokio::$server(&tokio);
                paired(
                    $name,
                    "magpie",
                    runs,
                    || on_magpie::$work(&magpie, m_addr),
                    || on_tokio::$work(&tokio, t_addr),
                );
            }
        };
    }
    workload!("echo", echo_server, tcp_echo);
    workload!("bulk", sink_server, tcp_bulk);
    workload!("churn", close_server, tcp_connect_churn);
    workload!("udp", udp_server, udp_echo);
    if wants("floor") {
        let t_addr = on_tokio::echo_server(&tokio);
        let label = if split { "floor (split)" } else { "floor" };
        paired(
            "echo_floor",
            label,
            runs,
            || echo_floor::run(split),
            || on_tokio::tcp_echo(&tokio, t_addr),
        );
    }
}
