// The hub's alarm maths and its backfill, tested as the pure functions they are.
import { describe, expect, it } from "vitest";
import { backfill } from "../src/durable/backfill";
import { DEFAULT_HUB_CONFIG } from "../src/durable/hub-config";
import type { Message, Run, RunStep } from "../src/providers/provider";
import { applyToView, type RunView } from "../src/durable/run-view";
import {
  alarmAction,
  isFinalPoll,
  isPollDue,
  nextAlarm,
  plannedPollAt,
  pollDelay,
  type ScheduleState,
} from "../src/durable/schedule";

const config = DEFAULT_HUB_CONFIG;
const NOW = 1_000_000;
const polling: ScheduleState = {
  terminalAt: null,
  streamOpen: false,
  lastEventAt: NOW - 1000,
  pollAt: NOW + 2000,
  expiresAt: null,
  settled: false,
};

describe("poll delay", () => {
  it("doubles from the minimum to the cap, lower while someone watches", () => {
    expect([0, 1, 2, 3, 10].map((attempt) => pollDelay(config, attempt, 0, null))).toEqual([
      500, 1000, 2000, 4000, 60_000,
    ]);
    expect([0, 1, 2, 10].map((attempt) => pollDelay(config, attempt, 2, null))).toEqual([500, 1000, 1250, 1250]);
  });

  it("backs off to the waiting cap for a watched run waiting for tool outputs, to the idle cap for one nobody watches", () => {
    expect([0, 3, 10].map((attempt) => pollDelay(config, attempt, 5, null, true))).toEqual([500, 4000, 10_000]);
    expect(pollDelay(config, 10, 0, null, true)).toBe(60_000);
  });

  it("never goes below the upstream's hint", () => {
    expect(pollDelay(config, 0, 1, 2500)).toBe(2500);
    expect(pollDelay(config, 10, 1, 2500)).toBe(2500);
    expect(pollDelay(config, 10, 1, 500)).toBe(1250);
  });
});

describe("planned poll", () => {
  it("lands on the run's expires_at when the backoff would carry it past", () => {
    expect(plannedPollAt(NOW, 60_000, NOW + 5000)).toBe(NOW + 5000);
    expect(plannedPollAt(NOW, 1000, NOW + 5000)).toBe(NOW + 1000);
    expect(plannedPollAt(NOW, 1000, null)).toBe(NOW + 1000);
  });

  it("after expires_at (the upstream had not expired the run yet) follows the backoff, bounded by the grace", () => {
    expect(plannedPollAt(NOW, 1000, NOW - 10)).toBe(NOW + 1000);
    const late = { ...polling, pollAt: plannedPollAt(NOW, 60_000, NOW - 10), expiresAt: NOW - 10 };
    expect(nextAlarm(late, NOW, config)).toBe(NOW - 10 + config.expiryGraceMs);
  });
});

describe("next alarm", () => {
  it("is the retention deadline once the run has ended", () => {
    expect(nextAlarm({ ...polling, terminalAt: NOW - 10 }, NOW, config)).toBe(NOW - 10 + config.retentionMs);
  });

  it("is a heartbeat while a stream is open, or the silence deadline if that comes first", () => {
    expect(nextAlarm({ ...polling, streamOpen: true, lastEventAt: NOW }, NOW, config)).toBe(NOW + config.heartbeatMs);
    expect(nextAlarm({ ...polling, streamOpen: true, lastEventAt: NOW - 40_000 }, NOW, config)).toBe(
      NOW - 40_000 + config.streamSilenceMs,
    );
  });

  it("is the planned poll, never past the run's expiry plus grace", () => {
    expect(nextAlarm(polling, NOW, config)).toBe(NOW + 2000);
    expect(nextAlarm({ ...polling, expiresAt: NOW - config.expiryGraceMs + 1000 }, NOW, config)).toBe(NOW + 1000);
    // A poll planned in the past is due now, not in the past.
    expect(nextAlarm({ ...polling, pollAt: NOW - 500 }, NOW, config)).toBe(NOW);
  });

  it("polls only when the planned poll (or the expiry deadline) has come", () => {
    expect(isPollDue(polling, NOW, config)).toBe(false);
    expect(isPollDue(polling, NOW + 2000, config)).toBe(true);
    expect(isPollDue({ ...polling, expiresAt: NOW - config.expiryGraceMs }, NOW, config)).toBe(true);
    expect(isPollDue({ ...polling, streamOpen: true, pollAt: NOW }, NOW, config)).toBe(false);
    expect(isFinalPoll({ ...polling, expiresAt: NOW - config.expiryGraceMs }, NOW, config)).toBe(true);
    expect(isFinalPoll({ ...polling, expiresAt: NOW + 1 }, NOW, config)).toBe(false);
  });
});

describe("backfill", () => {
  const run = (status: Run["status"]) => ({ id: "run_1", object: "thread.run", status }) as Run;
  const step = (status: RunStep["status"]) =>
    ({
      id: "step_1",
      object: "thread.run.step",
      type: "message_creation",
      status,
      step_details: { type: "message_creation", message_creation: { message_id: "msg_1" } },
    }) as RunStep;
  const message = (status: Message["status"], value: string) =>
    ({
      id: "msg_1",
      object: "thread.message",
      role: "assistant",
      status,
      content: [{ type: "text", text: { value, annotations: [] } }],
    }) as unknown as Message;

  function viewOf(events: Array<{ event: string; data: unknown }>): RunView {
    const view: RunView = new Map();
    for (const { event, data } of events) applyToView(view, event, data);
    return view;
  }

  it("brings a subscriber from a dropped stream to the end: the missing text as one delta, then the closing events in order", () => {
    const seen = viewOf([
      { event: "thread.run.in_progress", data: run("in_progress") },
      { event: "thread.run.step.created", data: step("in_progress") },
      { event: "thread.message.created", data: message("in_progress", "") },
      {
        event: "thread.message.delta",
        data: { id: "msg_1", delta: { content: [{ index: 0, type: "text", text: { value: "Hello" } }] } },
      },
    ]);
    const events = backfill(seen, {
      run: run("completed"),
      steps: [step("completed")],
      messages: [message("completed", "Hello world")],
    });
    expect(events.map((event) => event.event)).toEqual([
      "thread.message.delta",
      "thread.message.completed",
      "thread.run.step.completed",
      "thread.run.completed",
    ]);
    expect(events[0]!.data).toMatchObject({ delta: { content: [{ text: { value: " world" } }] } });
  });

  it("starts a message it has not seen empty, so accumulated text is never doubled", () => {
    const events = backfill(viewOf([{ event: "thread.run.in_progress", data: run("in_progress") }]), {
      run: run("in_progress"),
      steps: [step("in_progress")],
      messages: [message("in_progress", "Hi")],
    });
    expect(events.map((event) => event.event)).toEqual([
      "thread.run.step.created",
      "thread.message.created",
      "thread.message.delta",
    ]);
    expect(events[1]!.data).toMatchObject({ content: [] });
    expect(events[2]!.data).toMatchObject({ delta: { content: [{ text: { value: "Hi", annotations: [] } }] } });
  });

  it("answers nothing when nothing changed", () => {
    const seen = viewOf([{ event: "thread.run.requires_action", data: run("requires_action") }]);
    expect(backfill(seen, { run: run("requires_action") })).toEqual([]);
  });

  it("tells a new round of tool calls though the status is unchanged: its new step, then the run asking again", () => {
    // Outputs went to the upstream directly, and between two polls the run went on and asked for more.
    const seen = viewOf([{ event: "thread.run.requires_action", data: run("requires_action") }]);
    const toolStep = {
      id: "step_2",
      object: "thread.run.step",
      type: "tool_calls",
      status: "in_progress",
      step_details: { type: "tool_calls", tool_calls: [] },
    } as unknown as RunStep;
    const events = backfill(seen, { run: run("requires_action"), steps: [toolStep], newRound: true });
    expect(events.map((event) => event.event)).toEqual(["thread.run.step.created", "thread.run.requires_action"]);
  });
});

describe("what an alarm does", () => {
  it("retires a run that ended (or was settled) once its retention has passed, and waits before", () => {
    expect(alarmAction({ ...polling, terminalAt: NOW - config.retentionMs }, NOW, config)).toBe("retire");
    expect(alarmAction({ ...polling, terminalAt: NOW - 10 }, NOW, config)).toBe("wait");
    expect(alarmAction({ ...polling, settled: true, lastEventAt: NOW - config.retentionMs }, NOW, config)).toBe(
      "retire",
    );
    expect(alarmAction({ ...polling, settled: true, lastEventAt: NOW - 10 }, NOW, config)).toBe("wait");
  });

  it("gives up an open stream that stayed silent too long, and otherwise only waits (a stream never polls)", () => {
    expect(alarmAction({ ...polling, streamOpen: true, lastEventAt: NOW - config.streamSilenceMs }, NOW, config)).toBe(
      "loseStream",
    );
    expect(alarmAction({ ...polling, streamOpen: true, lastEventAt: NOW - 1, pollAt: NOW - 1000 }, NOW, config)).toBe(
      "wait",
    );
  });

  it("polls when the planned poll is due, never early, and the poll at expiry plus grace is the last", () => {
    expect(alarmAction({ ...polling, pollAt: NOW }, NOW, config)).toBe("poll");
    expect(alarmAction({ ...polling, pollAt: NOW + 1 }, NOW, config)).toBe("wait");
    expect(alarmAction({ ...polling, pollAt: NOW + 60_000, expiresAt: NOW - config.expiryGraceMs }, NOW, config)).toBe(
      "finalPoll",
    );
  });
});
