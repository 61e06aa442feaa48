"""The domain: requests and answers (`model`), what a message must carry (`messages`), what each
request and message means as writes (`decisions`). Pure: no I/O library is imported here."""
