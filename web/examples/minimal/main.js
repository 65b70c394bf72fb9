// The smallest page that uses facegender: choose a photo, list its faces.
import { FaceGender } from '../../facegender/facegender.js';

const input = document.getElementById('photo');
const list = document.getElementById('faces');
const fg = await FaceGender.load();
input.disabled = false;

input.addEventListener('change', async () => {
  try {
    const { faces } = await fg.classify(input.files[0]);
    list.replaceChildren(...faces.map((face) => {
      const item = document.createElement('li');
      item.textContent = `${face.text} at (${Math.round(face.box.x)}, ${Math.round(face.box.y)})`;
      return item;
    }));
    if (faces.length === 0) list.textContent = 'No face found.';
  } catch (error) {
    list.textContent = error.message;  // a FaceGenderError: written for people
  }
});
