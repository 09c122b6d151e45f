"""Write: curated changes checked, run in their own process, and made durable."""
