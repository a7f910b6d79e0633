// The topic page's photo picker: shows the picture chosen with "Take a photo" or "Choose from
// the gallery" before it is sent. Markup (templates/notes/_photos.html):
//   [data-photo-picker]          the upload form, holding two file inputs named "photo"
//   [data-photo-preview]         a figure, hidden until a picture is chosen
//   [data-photo-preview-image]   its <img>; [data-photo-preview-name] its caption (the file name)
// Choosing in one input empties the other, so exactly the previewed picture is uploaded.
// Without JavaScript the form works the same, only without the preview. Sending is photos.js's
// (downscaled, queued, with progress) or the browser's plain form post.

function setUp(form) {
  const inputs = [...form.querySelectorAll('input[type="file"]')];
  const preview = form.querySelector("[data-photo-preview]");
  const image = form.querySelector("[data-photo-preview-image]");
  const name = form.querySelector("[data-photo-preview-name]");
  let url = null;

  function show(file) {
    if (url) URL.revokeObjectURL(url);
    url = file ? URL.createObjectURL(file) : null;
    preview.hidden = !file;
    form.classList.toggle("has-photo", Boolean(file));
    if (!file) {
      image.removeAttribute("src");
      name.textContent = "";
      return;
    }
    image.src = url;
    name.textContent = file.name;
  }

  // Sent (photos.js queues it and empties the form): the preview goes with it.
  form.addEventListener("reset", () => show(null));
  inputs.forEach((input) => {
    input.addEventListener("change", () => {
      const file = input.files && input.files[0];
      if (file) inputs.filter((other) => other !== input).forEach((other) => { other.value = ""; });
      show(file || null);
    });
  });
}

document.querySelectorAll("[data-photo-picker]").forEach(setUp);
