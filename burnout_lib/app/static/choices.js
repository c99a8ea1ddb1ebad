// One check-in question as a native, labelled radio group: <fieldset> with the question as its
// <legend>, one <label><input type="radio"> per answer. Screen readers announce the question with
// each answer; arrow keys move between answers. Only the chosen answer's label goes to Python.

function render({ model, el }) {
  const fieldset = document.createElement("fieldset");
  fieldset.className = "bm-choices";
  const legend = document.createElement("legend");
  fieldset.append(legend);
  el.append(fieldset);
  let inputs = [];

  function build() {
    legend.textContent = model.get("legend");
    inputs.forEach((input) => input.parentElement.remove());
    inputs = model.get("options").map((option, index) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "radio";
      input.name = model.get("group");
      input.value = String(index);
      input.addEventListener("change", () => {
        if (input.checked) {
          model.set("value", option);
          model.save_changes();
        }
      });
      const text = document.createElement("span");
      text.textContent = option;
      label.append(input, text);
      fieldset.append(label);
      return input;
    });
    sync();
  }

  function sync() {
    const chosen = model.get("value");
    const options = model.get("options");
    inputs.forEach((input, index) => {
      input.checked = options[index] === chosen;
      input.disabled = model.get("disabled");
    });
  }

  model.on("change:options", build);
  model.on("change:legend", build);
  model.on("change:value", sync);
  model.on("change:disabled", sync);
  build();
}

export default { render };
