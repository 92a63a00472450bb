import { render } from "preact";

function App() {
  return (
    <main>
      <h1>My loyalty</h1>
    </main>
  );
}

render(<App />, document.getElementById("app"));
