"""`make bench`: every benchmark in turn, then a summary (bench/results/summary.md).

    python -m bench.run_all [--quick]     # --quick: shorter runs, growth up to 10,000

Each benchmark also runs alone: python -m bench.<webhooks sms|webhooks voice|broadcast|
accept_race|growth|profile>.
"""

import argparse
import time

from bench import accept_race, broadcast, env, growth, profile, webhooks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    duration = 5 if args.quick else 10
    started = time.perf_counter()
    b = env.backends()
    print(f"bench: {b.describe()}; machine {env.machine()}", flush=True)
    out = [f"# Benchmark summary\n\nBackends: {b.describe()}. Machine: {env.machine()}\n"]
    try:
        for scenario in ("sms", "voice"):
            result = webhooks.run(scenario, duration=duration)
            webhooks.report(result)
            env.write_result(f"{scenario}_webhook", result)
            out.append(
                env.table(
                    f"{scenario}: ratio of floor {result['throughput_ratio']} (floor with "
                    f"one write: {result['floor_write_ratio']}), targets {result['targets']}",
                    webhooks.HEADERS,
                    webhooks.rows(result),
                )
            )
        result = broadcast.run(send_count=1_000 if args.quick else None)  # None: all 10,000
        broadcast.report(result)
        env.write_result("broadcast", result)
        out.append(f"\nbroadcast: {result['targets']}; runs {result['runs']}\n")
        result = accept_race.run()
        accept_race.report(result)
        env.write_result("accept_race", result)
        out.append(
            f"\naccept race: {result['targets']}; state {result['state']}; settled in "
            f"{result['app']['elapsed_s']} s (floor {result['floor']['elapsed_s']} s)\n"
        )
        sizes = (100, 10_000) if args.quick else (100, 10_000, 1_000_000)
        result = growth.run(sizes, duration=3 if args.quick else 5)
        growth.report(result)
        env.write_result("growth", result)
        for scenario in ("sms", "voice"):
            profile.run(scenario, 300 if args.quick else 1000)
    finally:
        env.backends().close()
        out.append(f"\nAll benchmarks took {time.perf_counter() - started:.0f} s.\n")
        env.RESULTS.mkdir(exist_ok=True)
        (env.RESULTS / "summary.md").write_text("\n".join(out))
        print(out[-1])


if __name__ == "__main__":
    main()
