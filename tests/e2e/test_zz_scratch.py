from tests.support.web import post_form
def test_scratch(app, page, live_server):
    from portal.extensions import limiter
    assert limiter.enabled
    page.goto("/login")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    codes = [page.request.post("/login", form={"csrf_token": token, "email": "x@example.be", "password": "nope"}).status for _ in range(40)]
    print(set(codes))
    assert 429 not in codes
    c = app.test_client()
    codes2 = [post_form(c, "/login", {"email": "y@example.be", "password": "nope"}).status_code for _ in range(10)]
    print(codes2)
