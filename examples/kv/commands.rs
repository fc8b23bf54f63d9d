//! What each command does outside subscriber mode: PING, ECHO, GET, SET, DEL, EXISTS,
//! PUBLISH, CONFIG GET, COMMAND and QUIT run here, writing their reply; SUBSCRIBE is
//! handed back to the connection, which switches modes. Runtime-free apart from
//! [`PubSub`]'s channels.

use std::ops::Range;

use super::pubsub::PubSub;
use super::resp;
use super::store::Store;

/// Everything the connections share.
#[derive(Default)]
pub struct State {
    /// The key-value map.
    pub store: Store,
    /// The pub/sub channels.
    pub pubsub: PubSub,
}

/// What the connection does after a command.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The reply is written; read on.
    Continue,
    /// SUBSCRIBE: nothing written yet; the arguments after the name are the channels.
    Subscribe,
    /// QUIT: the reply is written; close after sending it.
    Quit,
}

/// Whether the command name `name` is `upper` (an upper-case ASCII name).
pub fn is(name: &[u8], upper: &str) -> bool {
    name.eq_ignore_ascii_case(upper.as_bytes())
}

/// Writes the arity error for `name`.
pub fn wrong_arity(out: &mut Vec<u8>, name: &[u8]) {
    let name = String::from_utf8_lossy(name).to_lowercase();
    resp::error(
        out,
        &format!("ERR wrong number of arguments for '{name}' command"),
    );
}

/// Runs the command whose bytes are `command` and whose arguments lie at `args` in them
/// (`args` is not empty), appending its reply to `out`.
pub fn execute(state: &State, command: &[u8], args: &[Range<usize>], out: &mut Vec<u8>) -> Outcome {
    let arg = |index: usize| &command[args[index].clone()];
    let name = arg(0);
    let argc = args.len();
    if is(name, "GET") && argc == 2 {
        state
            .store
            .with_value(arg(1), |value| resp::bulk(out, value));
    } else if is(name, "SET") && argc == 3 {
        state.store.set(arg(1), arg(2));
        resp::simple(out, "OK");
    } else if is(name, "SET") && argc > 3 {
        // EX, NX and the other options are not implemented: refuse rather than ignore.
        resp::error(out, "ERR syntax error");
    } else if is(name, "PING") && argc <= 2 {
        match argc {
            1 => resp::simple(out, "PONG"),
            _ => resp::bulk(out, Some(arg(1))),
        }
    } else if is(name, "ECHO") && argc == 2 {
        resp::bulk(out, Some(arg(1)));
    } else if (is(name, "DEL") || is(name, "EXISTS")) && argc >= 2 {
        let delete = is(name, "DEL");
        let count = (1..argc)
            .filter(|&index| match delete {
                true => state.store.remove(arg(index)),
                false => state.store.contains(arg(index)),
            })
            .count();
        resp::integer(out, count as i64);
    } else if is(name, "PUBLISH") && argc == 3 {
        let receivers = state.pubsub.publish(arg(1), arg(2));
        resp::integer(out, receivers as i64);
    } else if is(name, "SUBSCRIBE") && argc >= 2 {
        return Outcome::Subscribe;
    } else if is(name, "CONFIG") && argc == 3 && is(arg(1), "GET") {
        config_get(out, arg(2));
    } else if is(name, "COMMAND") {
        // redis-cli asks for command docs at start; an empty answer is valid.
        resp::array_header(out, 0);
    } else if is(name, "QUIT") {
        resp::simple(out, "OK");
        return Outcome::Quit;
    } else if [
        "GET",
        "SET",
        "PING",
        "ECHO",
        "DEL",
        "EXISTS",
        "PUBLISH",
        "SUBSCRIBE",
        "CONFIG",
    ]
    .iter()
    .any(|known| is(name, known))
    {
        wrong_arity(out, name);
    } else {
        let shown = String::from_utf8_lossy(&name[..name.len().min(128)]).into_owned();
        let shown: String = shown.chars().filter(|c| !c.is_control()).collect();
        resp::error(out, &format!("ERR unknown command '{shown}'"));
    }
    Outcome::Continue
}

/// CONFIG GET: redis-benchmark reads `save` and `appendonly` at start; this server keeps
/// no files, so they are empty and `no`. Other parameters match nothing.
fn config_get(out: &mut Vec<u8>, parameter: &[u8]) {
    let value: Option<&[u8]> = if is(parameter, "SAVE") {
        Some(b"")
    } else if is(parameter, "APPENDONLY") {
        Some(b"no")
    } else {
        None
    };
    match value {
        Some(value) => {
            resp::array_header(out, 2);
            resp::bulk(out, Some(&parameter.to_ascii_lowercase()));
            resp::bulk(out, Some(value));
        }
        None => resp::array_header(out, 0),
    }
}
