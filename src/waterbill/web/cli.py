"""``waterbill serve``: the web service under uvicorn."""

from __future__ import annotations

import click

from waterbill.config import get_settings
from waterbill.ops.logs import configure_logging


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
def serve(host: str, port: int) -> None:
    """Serve the web pages and the JSON API."""
    import uvicorn

    from waterbill.web.app import create_app

    settings = get_settings()
    if settings.is_development and not settings.public_url:
        settings = settings.model_copy(update={"public_url": f"http://{host}:{port}"})
    app = create_app(settings)
    click.echo(f"waterbill: {settings.base_url}/")
    if settings.dev_idp_enabled:
        from waterbill.auth.devidp.service import demo_sign_in

        with app.state.database.read() as db:
            demo = demo_sign_in(db=db)
        if demo is None:
            click.echo("no subscribers yet: load demo data with `waterbill demo-data`")
        else:
            fin, full_name, code = demo
            click.echo(
                f"sign in as the demo citizen {full_name}, FIN {fin}; subscriber code {code}"
            )
    configure_logging(settings.log_level)
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        server_header=False,
        log_config=None,
        access_log=False,
    )
