//! Hall audio: the real daemon plays through real rodio/ALSA into a file
//! (no sound card needed), and a hall with no output at all still calls.

use std::path::{Path, PathBuf};
use std::time::Duration;

use qcall_audio::Rendered;
use qcall_audio::analysis::{MIN_GAP, segments};
use serde_json::json;

use super::*;

/// Silence that separates two announcements in the capture: longer than
/// the phrase pause inside one (450 ms), shorter than the gap after each.
const BETWEEN: Duration = Duration::from_millis(700);

/// An ALSA config whose default PCM converts to 48 kHz stereo and writes
/// raw samples to `dir/cap.raw`. `truncate false` makes each opening of the
/// device a new file (cap.raw, cap.raw.0001, ...), so nothing is lost when
/// the speaker closes and reopens it between bursts.
fn file_sink(dir: &Path) -> PathBuf {
    let conf = dir.join("asound.conf");
    let text = format!(
        "pcm.!default {{ type plug; slave {{ pcm \"capturefile\"; format S16_LE; rate 48000; channels 2 }} }}\n\
         pcm.capturefile {{ type file; slave.pcm {{ type null }}; file \"{}\"; format \"raw\"; truncate false }}\n",
        dir.join("cap.raw").display()
    );
    std::fs::write(&conf, text).unwrap();
    conf
}

/// Everything the device was given, every opening in order.
fn captured(dir: &Path) -> Rendered {
    let mut files: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name()?.to_str()?.to_owned();
            let n = match name.strip_prefix("cap.raw") {
                Some("") => 0,
                Some(suffix) => suffix.strip_prefix('.')?.parse().ok()?,
                None => return None,
            };
            Some((n, path))
        })
        .collect();
    files.sort();
    let mut bytes = Vec::new();
    for (_, f) in &files {
        bytes.extend(std::fs::read(f).unwrap());
    }
    Rendered {
        sample_rate: 48_000,
        channels: 2,
        samples: bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect(),
    }
}

async fn call(c: &mut Conn, counter: &str, token: &str) -> Value {
    let r = c
        .post(
            &format!("/api/v1/counters/{counter}/call-next"),
            Some(token),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["ticket"].clone()
}

#[tokio::test]
async fn three_calls_are_played_whole_in_order_without_overlap() {
    // Counters read as 一号窗口 (one phrase), 三十一 号窗口 and 一千一百零五
    // 号窗口: three sentences of clearly different length, so the capture
    // shows which came when.
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.audio.enabled = true;
        c.audio.locales = vec!["zh-CN".into()];
        c.audio.repeat = 1;
        c.audio.gap_ms = 1500;
        c.counters[1].number = 31;
        c.counters[2].number = 1105;
    });
    let conf = file_sink(hall.path());
    let d = Daemon::start_with_env(&hall.config, &hall.db, &[("ALSA_CONFIG_PATH", &conf)]);
    let config = Config::load(&hall.config).unwrap();
    let ids: Vec<String> = config.counters[..3].iter().map(|c| c.id.clone()).collect();
    let tokens: Vec<String> = ids.iter().map(|id| hall.counter_token(id)).collect();
    let mut display = d.display("").await;
    display.next_of("snapshot").await;
    let mut c = d.conn().await;
    for _ in 0..3 {
        c.post("/api/v1/tickets", None, &json!({"service": "A"}))
            .await
            .unwrap();
    }
    // Each call once the one before has been said: a call that finds
    // others waiting is merged with them (see qcall-audio's plan), which is
    // not what this test is about.
    let mut said = Vec::new();
    let mut last = Value::Null;
    for (k, (id, token)) in ids.iter().zip(&tokens).enumerate() {
        let t = call(&mut c, id, token).await;
        said.push((
            t["number"].as_str().unwrap().to_owned(),
            t["counter"]["number"].as_u64().unwrap() as u32,
        ));
        loop {
            let s = display.next_of("audio_state").await;
            if s["played"] == k as u64 + 1 {
                last = s;
                break;
            }
        }
    }
    assert_eq!(
        (&last["dropped"], &last["said_full"], &last["skipped"]),
        (&json!(0), &json!(3), &json!(0)),
        "{last}"
    );
    assert_eq!(last["last_played"], "A003 -> 1105");
    // /metrics counts what became of the calls, as audio_state does.
    let (_, body) = c
        .send_raw(hyper::Method::GET, "/metrics", None, None)
        .await
        .unwrap();
    let metrics = String::from_utf8_lossy(&body).into_owned();
    for line in [
        "qcall_audio_played_total 3",
        "qcall_audio_calls_said_total 3",
        "qcall_audio_calls_merged_total 0",
        "qcall_audio_calls_skipped_stale_total 0",
        "qcall_audio_calls_skipped_late_total 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }
    assert_eq!(
        said,
        [
            ("A001".into(), 1),
            ("A002".into(), 31),
            ("A003".into(), 1105)
        ]
    );

    // What each announcement should sound like, rendered by the same code.
    let mut script = qcall::audio::Script::from_config(&config.audio).unwrap();
    let pack = qcall::audio::load_pack(&config.audio, &mut script).unwrap();
    let style = qcall::audio::settings(&config.audio).unwrap().style;
    let expected: Vec<(Duration, usize)> = said
        .iter()
        .map(|(number, counter)| {
            let r =
                qcall_audio::render(&pack, &script.clips(number, *counter, false), &style).unwrap();
            let whole = segments(&r, BETWEEN);
            assert_eq!(whole.len(), 1, "one block per announcement");
            (whole[0].len(), segments(&r, MIN_GAP).len())
        })
        .collect();
    for w in expected.windows(2) {
        assert!(
            w[1].0 > w[0].0 + Duration::from_millis(200),
            "the fixture's sentences must differ in length: {expected:?}"
        );
    }

    let audio = captured(hall.path());
    let blocks = segments(&audio, BETWEEN);
    assert_eq!(
        blocks.len(),
        3,
        "three separate announcements, none merged or cut in two: {blocks:?}"
    );
    for (i, (block, (len, sounds))) in blocks.iter().zip(&expected).enumerate() {
        let diff = block.len().abs_diff(*len);
        assert!(
            diff <= Duration::from_millis(40),
            "announcement {i} ({:?}) lasted {:?}, expected {len:?}: truncated or overlapped",
            said[i],
            block.len()
        );
        let inside = Rendered {
            samples: audio.samples[(block.start.as_millis() as usize * 96)
                ..(block.end.as_millis() as usize * 96).min(audio.samples.len())]
                .to_vec(),
            ..audio.clone()
        };
        assert_eq!(
            segments(&inside, MIN_GAP).len(),
            *sounds,
            "announcement {i}: one sound per clip"
        );
    }
}

/// An ALSA config with one file sink per zone: PCM `NAME` writes raw
/// 48 kHz stereo to `dir/NAME.raw` (a new file per opening), listed with a
/// hint so the daemon finds it by name as it finds a sound card.
fn zone_sinks(dir: &Path, names: &[&str]) -> PathBuf {
    let conf = dir.join("zones-asound.conf");
    let mut text = String::new();
    for name in names {
        text += &format!(
            "pcm.{name} {{ type plug; slave {{ pcm {{ type file; slave.pcm {{ type null }}; file \"{}\"; format \"raw\"; truncate false }}; format S16_LE; rate 48000; channels 2 }} hint {{ show on; description \"{name}\" }} }}\n",
            dir.join(format!("{name}.raw")).display()
        );
    }
    std::fs::write(&conf, text).unwrap();
    conf
}

/// Everything zone sink `name` was given, every opening in order.
fn captured_zone(dir: &Path, name: &str) -> Rendered {
    let zone = dir.join(name);
    std::fs::create_dir_all(&zone).unwrap();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        if let Some(rest) = file.strip_prefix(&format!("{name}.raw")) {
            std::fs::copy(&path, zone.join(format!("cap.raw{rest}"))).unwrap();
        }
    }
    captured(&zone)
}

#[tokio::test]
async fn two_zones_say_their_own_calls_independently_each_on_its_device() {
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.audio.enabled = true;
        c.audio.locales = vec!["zh-CN".into()];
        c.audio.repeat = 2;
        c.audio.repeat_gap_ms = 800;
        c.audio.gap_ms = 1500;
        c.audio.zones = ["east", "west"]
            .iter()
            .zip([&c.counters[0].id, &c.counters[1].id])
            .map(|(name, counter)| qcall::config::AudioZoneSection {
                name: (*name).into(),
                device: (*name).into(),
                counters: vec![counter.clone()],
                services: Vec::new(),
            })
            .collect();
    });
    let conf = zone_sinks(hall.path(), &["east", "west"]);
    let d = Daemon::start_with_env(&hall.config, &hall.db, &[("ALSA_CONFIG_PATH", &conf)]);
    let config = Config::load(&hall.config).unwrap();
    let ids: Vec<String> = config.counters[..2].iter().map(|c| c.id.clone()).collect();
    let mut display = d.display("").await;
    display.next_of("snapshot").await;
    let mut c = d.conn().await;
    for _ in 0..2 {
        c.post("/api/v1/tickets", None, &json!({"service": "A"}))
            .await
            .unwrap();
    }
    // Both calls at once: in one zone the second would cut the first's
    // repeat; in two, each zone says its own call in full.
    let mut said = Vec::new();
    for id in &ids {
        let t = call(&mut c, id, &hall.counter_token(id)).await;
        said.push((
            t["number"].as_str().unwrap().to_owned(),
            t["counter"]["number"].as_u64().unwrap() as u32,
        ));
    }
    let state = loop {
        let s = display.next_of("audio_state").await;
        if s["played"] == 2 {
            break s;
        }
    };
    let zones = state["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 2, "{state}");
    for (zone, name) in zones.iter().zip(["east", "west"]) {
        assert_eq!(zone["zone"], name, "{state}");
        assert_eq!(zone["device"], name, "{state}");
        assert_eq!(
            (&zone["played"], &zone["said_full"], &zone["merged"]),
            (&json!(1), &json!(1), &json!(0)),
            "{name}: its one call, in full: {state}"
        );
    }
    // What each device was given: its own call, said twice, nothing else.
    let mut script = qcall::audio::Script::from_config(&config.audio).unwrap();
    let pack = qcall::audio::load_pack(&config.audio, &mut script).unwrap();
    let style = qcall::audio::settings(&config.audio).unwrap().style;
    for (name, (number, counter)) in ["east", "west"].iter().zip(&said) {
        let audio = captured_zone(hall.path(), name);
        let blocks = segments(&audio, BETWEEN);
        assert_eq!(blocks.len(), 2, "{name}: one call said twice: {blocks:?}");
        let once = qcall_audio::render(
            &pack,
            &script.clips(number, *counter, false),
            &qcall_audio::Style {
                repeat: 1,
                ..style.clone()
            },
        )
        .unwrap();
        let len = segments(&once, BETWEEN)[0].len();
        for b in &blocks {
            assert!(
                b.len().abs_diff(len) <= Duration::from_millis(40),
                "{name}: {number} -> {counter} lasted {:?}, expected {len:?}",
                b.len()
            );
        }
    }
}

#[tokio::test]
async fn a_hall_without_sound_output_still_calls_and_says_so() {
    let hall = Hall::with(|c| {
        c.server.kiosk_rate_per_minute = 0;
        c.audio.enabled = true;
    });
    // An ALSA config with no PCM at all: like a box without a sound card.
    let conf = hall.path().join("asound.conf");
    std::fs::write(&conf, "# no devices\n").unwrap();
    let d = Daemon::start_with_env(&hall.config, &hall.db, &[("ALSA_CONFIG_PATH", &conf)]);
    let token = hall.counter_token("1");
    let mut display = d.display("").await;
    display.next_of("snapshot").await;
    let mut c = d.conn().await;
    c.post("/api/v1/tickets", None, &json!({"service": "A"}))
        .await
        .unwrap();
    let t = call(&mut c, "1", &token).await;
    assert_eq!(t["number"], "A001", "the call itself is unaffected");
    let s = display.next_of("audio_state").await;
    assert_eq!(s["output"], false, "{s}");
    assert_eq!(s["dropped"], 1, "{s}");
    // Supervisors can read the same health without a socket.
    let health = c.get("/api/v1/audio").await.unwrap();
    assert_eq!(health.status.as_u16(), 200);
    assert_eq!(health.body["audio"]["output"], false, "{}", health.body);
    assert!(
        s["last_error"]
            .as_str()
            .unwrap()
            .contains("no sound output"),
        "{s}"
    );
}

#[test]
fn say_renders_each_locale_to_a_wav_with_one_sound_per_clip() {
    let hall = Hall::with(|c| {
        c.audio.repeat = 2;
    });
    // (locale, counter, sounds: chime + sentence clips, twice)
    let cases = [
        ("zh-CN", "3", 2 * (1 + 9)),   // 请 A 0 1 2 号 到 三号窗口 办理
        ("zh-CN", "12", 2 * (1 + 9)),  // ... 十二号窗口 (one phrase) ...
        ("zh-CN", "31", 2 * (1 + 12)), // ... 三 十 一 号窗口: no phrase past 30
        ("en", "3", 2 * (1 + 7)),      // Number A 0 1 2 please-go-to-counter three
        ("en", "42", 2 * (1 + 8)),     // ... forty two
    ];
    for (locale, counter, sounds) in cases {
        let out = hall.path().join(format!("{locale}-{counter}.wav"));
        let o = qcall(&[
            "say",
            "--config",
            hall.config.to_str().unwrap(),
            "--ticket",
            "A012",
            "--counter",
            counter,
            "--locale",
            locale,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let wav = qcall_audio::analysis::read_wav(&std::fs::read(&out).unwrap()).unwrap();
        let secs = wav.duration().as_secs_f64();
        assert!(
            (3.0..20.0).contains(&secs),
            "{locale} {counter}: {secs:.2} s"
        );
        assert!(
            qcall_audio::analysis::peak(&wav.samples) > 8_000,
            "{locale}: not silent"
        );
        assert_eq!(
            segments(&wav, MIN_GAP).len(),
            sounds,
            "{locale} {counter}: one sound per clip"
        );
    }
    // A call at a hall's pace: 「请 A012 号到 3 号窗口办理」 once, without
    // the chime, in at most 3.5 s (it was 6 s). The length is read back
    // from the WAV's header with hound.
    let brisk = Hall::with(|c| {
        c.audio.repeat = 1;
        c.audio.chime = false;
    });
    let out = brisk.path().join("brisk.wav");
    let o = qcall(&[
        "say",
        "--config",
        brisk.config.to_str().unwrap(),
        "--ticket",
        "A012",
        "--counter",
        "3",
        "--locale",
        "zh-CN",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let reader = hound::WavReader::open(&out).unwrap();
    let secs = f64::from(reader.duration()) / f64::from(reader.spec().sample_rate);
    assert!(secs <= 3.5, "the zh-CN call lasts {secs:.2} s");
    // Without --out and without a sound card: a clear failure, exit 1.
    let conf = hall.path().join("empty-asound.conf");
    std::fs::write(&conf, "# no devices\n").unwrap();
    let o = Command::new(qcall_bin())
        .args(["say", "--config", hall.config.to_str().unwrap()])
        .args(["--ticket", "A012", "--counter", "3"])
        .env("ALSA_CONFIG_PATH", &conf)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing was played"));
}
