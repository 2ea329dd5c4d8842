"""Error pages: HTML for the web pages, the API's own JSON answers under /api (unchanged).

The API (app/api/errors.py) registers two app-wide handlers, for HTTPException and for the
engine's EngineError (NotFound, Forbidden, Conflict, ...). `init_app` wraps each of them instead
of replacing it: under /api the API's handler answers exactly as before (JSON); every other path
gets an HTML page (or, for an htmx request, an alert fragment).
"""
from flask import Flask, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.engine.errors import EngineError
from app.web.security import is_api_path

#: status -> (Chinese title, English title, what to tell the user). Fixed texts: a 404 for a case
#: outside one's jurisdiction must look exactly like the 404 for a number that does not exist.
MESSAGES = {
    400: ("请求无效", "Bad request", "请求无法处理。如果是表单，请刷新页面后重新提交。"),
    401: ("需要登录", "Sign-in required", "请先登录。"),
    403: ("无权访问", "Forbidden", "您的角色无权进行此操作。"),
    404: ("未找到", "Not found", "找不到该页面或记录，或它不在您的管辖范围内。"),
    405: ("方法不允许", "Method not allowed", "此地址不支持该请求方式。"),
    409: ("操作冲突", "Conflict", "记录刚被他人修改，请刷新后重试。"),
    413: ("文件过大", "Too large", "上传的内容过大。"),
    422: ("数据无效", "Invalid data", "提交的数据无效。"),
    500: ("系统错误", "Server error", "系统出现错误，请稍后重试。"),
}
#: Headers of an HTTPException worth keeping on the HTML page.
_KEPT_HEADERS = ("Allow", "Retry-After")


def render_error(status: int, detail: str | None = None):
    """The error page (full page, or the alert fragment for htmx) as a response."""
    title_zh, title_en, message = MESSAGES.get(status) or MESSAGES[500 if status >= 500 else 400]
    context = {"status": status, "title_zh": title_zh, "title_en": title_en, "message": message,
               "detail": detail}
    if request.headers.get("HX-Request"):
        # base.html configures htmx to swap error answers; these headers send them to the alert area
        response = make_response(render_template("errors/_alert.html", **context), status)
        response.headers["HX-Retarget"] = "#htmx-alert"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return make_response(render_template("errors/error.html", **context), status)


def init_app(app: Flask) -> None:
    handlers = app.error_handler_spec[None][None]
    api_http_handler, api_engine_handler = handlers.get(HTTPException), handlers.get(EngineError)

    def handle_http_exception(error: HTTPException):
        if is_api_path(request.path) and api_http_handler is not None:
            return api_http_handler(error)
        if error.code is None:  # not an error answer
            return error
        if isinstance(error, InternalServerError):
            app.logger.error("error on %s", request.path, exc_info=error.original_exception)
        # only the CSRF failure explains itself (token missing / expired); nothing internal leaks
        response = render_error(error.code, error.description if isinstance(error, CSRFError) else None)
        for name, value in error.get_headers():
            if name in _KEPT_HEADERS:
                response.headers[name] = value
        return response

    def handle_engine_error(error: EngineError):
        if is_api_path(request.path) and api_engine_handler is not None:
            return api_engine_handler(error)
        return render_error(error.status)

    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(EngineError, handle_engine_error)
