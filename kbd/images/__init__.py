"""Images a clipping embeds from the web, kept locally under raw/assets/<clipping>/."""
