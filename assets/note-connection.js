// The Socket.IO client as the notes editor loads it: after the editor is up (assets/notes.js
// imports this dynamically; the client itself is the chunk the board shares, issue 13).
export { io } from "socket.io-client";
