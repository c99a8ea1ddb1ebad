// Burnout Monitor's weekly clip, taken in the browser: camera → canvas → JPEG stills → Python.
//
// No video is ever recorded or sent. The camera stream only feeds the live preview in this
// page; during a take a still is drawn to a canvas at most `fps` times a second for `seconds`
// seconds, encoded as JPEG and sent to the kernel, one frame per message, each at most
// `max_frame_bytes`. The camera is turned off when the take ends.
//
// Messages to Python (model.send(content, callbacks, buffers)):
//   {type: "start", take}                              a take begins (take: a random id)
//   {type: "frame", take, index, width, height}        + one buffer: the JPEG bytes
//   {type: "done", take, frames}                       the take is complete (frames sent)
//   {type: "cancel", take}                             the person stopped the take
//   {type: "retry"}                                    measure the kept frames again
//   {type: "camera-error", code, name}                 camera denied, absent, busy, unavailable
// Python answers through the synced traits `state`, `message` and `can_retry`.

const CAMERA_CODES = {
  NotAllowedError: "denied",
  SecurityError: "denied",
  PermissionDeniedError: "denied",
  NotFoundError: "absent",
  DevicesNotFoundError: "absent",
  OverconstrainedError: "absent",
  NotReadableError: "busy",
  TrackStartError: "busy",
  AbortError: "busy",
};

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function button(label, description) {
  const node = element("button", { type: "button", class: "bm-camera-button" }, label);
  if (description) node.setAttribute("aria-describedby", description);
  return node;
}

function takeId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function jpeg(canvas, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
}

function render({ model, el }) {
  const root = element("section", { class: "bm-camera", "aria-label": "Weekly clip from your camera" });
  const uid = `bm-camera-${Math.random().toString(36).slice(2, 10)}`;
  const explain = element(
    "p",
    { class: "bm-camera-explain", id: `${uid}-explain` },
    `Records ${model.get("seconds")} seconds: ${Math.round(model.get("seconds") * model.get("fps"))} ` +
      "still pictures are sent for measuring. No video is recorded or sent, and the camera turns " +
      "off when the take ends.",
  );
  const video = element("video", {
    class: "bm-camera-preview",
    "aria-label": "Live camera preview (not recorded)",
    muted: "",
    playsinline: "",
    autoplay: "",
  });
  video.muted = true;
  video.hidden = true;
  const indicator = element("p", { class: "bm-camera-recording" });
  indicator.hidden = true;
  const dot = element("span", { class: "bm-camera-dot", "aria-hidden": "true" }, "●");
  const indicatorText = element("span", {}, "");
  indicator.append(dot, " ", indicatorText);
  const status = element("p", {
    class: "bm-camera-status",
    role: "status",
    "aria-live": "polite",
    "aria-atomic": "true",
  });
  const controls = element("div", { class: "bm-camera-controls" });
  const cameraOn = button("Turn on camera", `${uid}-explain`);
  const record = button(`Record ${model.get("seconds")} seconds`, `${uid}-explain`);
  const stop = button("Stop recording");
  const retry = button("Try again with the same frames");
  const cameraOff = button("Turn off camera");
  record.hidden = stop.hidden = retry.hidden = cameraOff.hidden = true;
  controls.append(cameraOn, record, stop, retry, cameraOff);
  root.append(explain, video, indicator, controls, status);
  el.append(root);

  let stream = null;
  let take = null; // the take in progress: {id, stopped}

  function say(text, kind = "info") {
    status.textContent = text;
    status.dataset.kind = kind;
  }

  function showPythonMessage() {
    const text = model.get("message");
    if (text) say(text, model.get("state") === "error" ? "error" : "info");
    const busy = model.get("state") === "measuring" || model.get("state") === "receiving";
    retry.hidden = !model.get("can_retry") || take !== null;
    retry.disabled = busy;
    record.disabled = busy || take !== null;
  }

  function cameraProblem(error) {
    const name = (error && error.name) || "Error";
    const code = CAMERA_CODES[name] || "unavailable";
    const messages = model.get("camera_messages") || {};
    say(messages[code] || messages.unavailable || "The camera cannot be used.", "error");
    model.send({ type: "camera-error", code, name });
  }

  function turnOff() {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    record.hidden = cameraOff.hidden = true;
    cameraOn.hidden = false;
  }

  async function turnOn() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraProblem({ name: "NotSupportedError" });
      return false;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
        audio: false,
      });
    } catch (error) {
      cameraProblem(error);
      return false;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play().catch(() => {});
    cameraOn.hidden = true;
    record.hidden = cameraOff.hidden = false;
    say("Camera on. Nothing is recorded until you press Record.");
    record.focus();
    return true;
  }

  async function capture(canvas, context) {
    const width = Math.min(video.videoWidth, model.get("max_width"));
    const height = Math.round((video.videoHeight * width) / video.videoWidth);
    canvas.width = width;
    canvas.height = height;
    context.drawImage(video, 0, 0, width, height);
    const limit = model.get("max_frame_bytes");
    for (let quality = model.get("jpeg_quality"); quality >= 0.3; quality -= 0.15) {
      const blob = await jpeg(canvas, quality);
      if (blob && blob.size <= limit) return { buffer: await blob.arrayBuffer(), width, height };
    }
    return null;
  }

  async function recordTake() {
    if (!stream || take) return;
    if (!video.videoWidth) await sleep(300);
    const seconds = model.get("seconds");
    const fps = Math.min(model.get("fps"), 3);
    const count = Math.round(seconds * fps);
    take = { id: takeId(), stopped: false };
    const current = take;
    const canvas = element("canvas");
    const context = canvas.getContext("2d");
    model.send({ type: "start", take: current.id });
    record.disabled = true;
    retry.hidden = true;
    stop.hidden = false;
    indicator.hidden = false;
    say(`Recording started: ${seconds} seconds.`);
    stop.focus();
    const started = performance.now();
    let sent = 0;
    for (let index = 0; index < count && !current.stopped; index += 1) {
      const due = started + (index * 1000) / fps;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (current.stopped) break;
      const left = Math.max(0, Math.ceil(seconds - (performance.now() - started) / 1000));
      indicatorText.textContent = `Recording — ${left} s left (frame ${index + 1} of ${count})`;
      const frame = await capture(canvas, context);
      if (!frame) {
        current.stopped = true;
        say("A picture could not be made small enough to send; nothing was sent.", "error");
        break;
      }
      model.send(
        { type: "frame", take: current.id, index, width: frame.width, height: frame.height },
        undefined,
        [frame.buffer],
      );
      sent += 1;
    }
    indicator.hidden = true;
    stop.hidden = true;
    take = null;
    turnOff();
    if (current.stopped || sent === 0) {
      model.send({ type: "cancel", take: current.id });
      if (status.dataset.kind !== "error") say("Recording stopped; nothing was sent for measuring.");
    } else {
      model.send({ type: "done", take: current.id, frames: sent });
      say(`Recording finished: ${sent} pictures sent. Camera off.`);
    }
    record.disabled = false;
    cameraOn.focus();
  }

  cameraOn.addEventListener("click", turnOn);
  cameraOff.addEventListener("click", () => {
    turnOff();
    say("Camera off.");
    cameraOn.focus();
  });
  record.addEventListener("click", recordTake);
  stop.addEventListener("click", () => {
    if (take) take.stopped = true;
  });
  retry.addEventListener("click", () => {
    retry.disabled = true;
    model.send({ type: "retry" });
  });
  model.on("change:message", showPythonMessage);
  model.on("change:state", showPythonMessage);
  model.on("change:can_retry", showPythonMessage);
  showPythonMessage();

  return () => {
    if (take) take.stopped = true;
    turnOff();
  };
}

export default { render };
