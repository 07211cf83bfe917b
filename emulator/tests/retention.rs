//! The bound on what the emulator keeps (`EmulatorBuilder::retain`, `--retain`): a long test suite
//! that runs builds over and over leaves at most that many finished ones per job, the newest, and
//! never forgets one that is still running.

use std::time::Duration;

use codearts::CallExt;
use codearts_emulator::{Emulator, ManualClock};

#[tokio::test]
async fn finished_builds_beyond_the_bound_are_forgotten_oldest_first() {
    let clock = ManualClock::starting_now();
    let emulator = Emulator::builder().clock(clock.clone()).retain(2).start().await.unwrap();
    let demo = emulator.seed_demo().await.unwrap();
    let config = emulator.config_builder().credentials(emulator.password_credentials()).build().unwrap();
    let build = codearts::build::Client::from_config(&config).unwrap();
    let (job, _, _) = demo.jobs.iter().find(|(_, name, _)| !name.contains("fail")).expect("a demo job").clone();

    let numbers = |h: &codearts::build::types::ShowListHistoryResponse| {
        h.history_records.iter().filter_map(|r| r.build_number).collect::<Vec<_>>()
    };
    for _ in 1..=4 {
        build.run_job().body_map(|b| b.job_id(&job)).call().await.expect("the job runs");
        clock.advance(Duration::from_secs(600));
    }
    // Each run started with the previous ones finished: 1 went when 3 started, 2 when 4 did.
    let history = build.show_list_history().job_id(&job).offset(0).limit(10).interval(7).call().await.unwrap();
    assert_eq!(numbers(&history), vec![4, 3], "{history:?}");

    build.run_job().body_map(|b| b.job_id(&job)).call().await.expect("the job runs");
    clock.advance(Duration::from_secs(600));
    let history = build.show_list_history().job_id(&job).offset(0).limit(10).interval(7).call().await.unwrap();
    assert_eq!(numbers(&history), vec![5, 4], "numbers go on from the newest kept: {history:?}");
    emulator.shutdown().await;
}
