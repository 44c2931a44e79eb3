"""What officers and managers read: Vietnamese (NFC, full diacritics). Logs stay English."""

from __future__ import annotations

import unicodedata

from motcua.contract import CounterAction, CounterStatus, ErrorCode, PriorityCategory

ERRORS: dict[ErrorCode, str] = {
    ErrorCode.QUEUE_EMPTY: "Không còn ai đang chờ cho quầy này.",
    ErrorCode.NOTHING_SERVING: "Quầy chưa phục vụ phiếu nào.",
    ErrorCode.RECALLS_REQUIRED: "Cần gọi lại đủ số lần trước khi đánh dấu vắng mặt.",
    ErrorCode.COUNTER_CLOSED: "Quầy đang đóng: hãy đăng nhập quầy trước.",
    ErrorCode.NOT_SIGNED_IN: "Chưa có cán bộ đăng nhập quầy này.",
    ErrorCode.UNKNOWN_OFFICER: "Mã cán bộ không có trong cấu hình của bộ phận.",
    ErrorCode.UNKNOWN_SERVICE: "Không có dịch vụ này.",
    ErrorCode.UNKNOWN_COUNTER: "Không có quầy này.",
    ErrorCode.NOT_WAITING: "Phiếu này không còn chờ ở quầy của bạn.",
    ErrorCode.STALE_COMMAND: "Lệnh đến quá muộn nên không được thực hiện. Kiểm tra đồng hồ máy và thử lại.",
    ErrorCode.BAD_REQUEST: "Yêu cầu không hợp lệ.",
    ErrorCode.INTERNAL: "Máy điều phối gặp lỗi, lệnh chưa được thực hiện.",
}

COMMAND_FAILED = {
    "not_connected": "Không kết nối được với máy chủ tin nhắn của bộ phận. Lệnh chưa được gửi; hãy thử lại sau.",
    "timeout": "Máy điều phối không trả lời. Lệnh không được thực hiện (kể cả sau này); hãy thử lại sau.",
}

ACTIONS: dict[CounterAction, str] = {
    CounterAction.NEXT: "Gọi tiếp",
    CounterAction.RECALL: "Gọi lại",
    CounterAction.NO_SHOW: "Vắng mặt",
    CounterAction.FINISH: "Xong",
    CounterAction.TRANSFER: "Chuyển dịch vụ",
    CounterAction.CALL_TICKET: "Gọi phiếu này",
    CounterAction.PAUSE: "Tạm nghỉ",
    CounterAction.RESUME: "Tiếp tục",
    CounterAction.SIGN_IN: "Nhận quầy",
    CounterAction.SIGN_OUT: "Rời quầy",
}

DONE: dict[CounterAction, str] = {
    CounterAction.NEXT: "Đã gọi số {label}.",
    CounterAction.CALL_TICKET: "Đã gọi số {label}.",
    CounterAction.RECALL: "Đã gọi lại số {label}.",
    CounterAction.NO_SHOW: "Đã ghi vắng mặt.",
    CounterAction.FINISH: "Đã xong phiếu.",  # with a dossier code: the code is stored on that ticket
    CounterAction.TRANSFER: "Đã chuyển phiếu.",
    CounterAction.PAUSE: "Quầy đang tạm nghỉ.",
    CounterAction.RESUME: "Quầy tiếp tục làm việc.",
}

STATUS = {
    CounterStatus.OPEN: "Đang làm việc",
    CounterStatus.PAUSED: "Tạm nghỉ",
    CounterStatus.CLOSED: "Đóng",
}

PRIORITY = {
    PriorityCategory.ELDERLY: "Người cao tuổi",
    PriorityCategory.DISABLED: "Người khuyết tật",
    PriorityCategory.PREGNANT: "Phụ nữ mang thai",
    PriorityCategory.SMALL_CHILD: "Người đi cùng trẻ nhỏ",
    PriorityCategory.MERITORIOUS: "Người có công với cách mạng",
}

LOGIN_FAILED = "Tên đăng nhập hoặc mật khẩu không đúng."
LOGIN_LIMITED = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút."
CSRF_FAILED = "Phiên làm việc đã thay đổi. Hãy tải lại trang và thử lại."
FORBIDDEN = "Tài khoản của bạn không có quyền xem trang này."
OFFICER_ELSEWHERE = "Bạn đang đăng nhập tại {counter}. Hãy rời quầy đó trước khi nhận quầy khác."
COUNTER_TAKEN = "{counter} đang do {officer} phụ trách. Mỗi quầy chỉ một cán bộ tại một thời điểm."
BAD_DOSSIER_CODE = (
    "Mã hồ sơ không hợp lệ: tối đa 64 ký tự in được, không có ký tự điều khiển. Phiếu chưa được kết thúc."
)
NOT_AT_COUNTER = "Bạn chưa nhận quầy nào, hoặc quầy đã được giao cho người khác."


def error_text(code: ErrorCode) -> str:
    return ERRORS.get(code, "Lệnh không thực hiện được.")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
