import { render } from "preact";
import { configureApi } from "./api";
import { App } from "./app";
import { loadConfig } from "./config";
import "./style.css";

const root = document.getElementById("app") as HTMLElement;

loadConfig()
  .then((config) => {
    configureApi(config.api_base);
    render(<App config={config} />, root);
  })
  .catch((error: unknown) => {
    render(
      <main class="signin">
        <h1>The console could not start</h1>
        <p role="alert" class="alert">
          {error instanceof Error ? error.message : String(error)}
        </p>
      </main>,
      root,
    );
  });
