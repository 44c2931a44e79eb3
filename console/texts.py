"""What officers and managers read: Vietnamese (NFC, full diacritics). Logs stay English."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from motcua.contract import CounterAction, CounterStatus, DeviceProblem, ErrorCode, PriorityCategory

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

DEVICE_PROBLEMS = {
    DeviceProblem.PAPER_OUT: "Hết giấy",
    DeviceProblem.PAPER_LOW: "Sắp hết giấy",
    DeviceProblem.PRINTER_OFFLINE: "Máy in báo lỗi",
    DeviceProblem.PRINTER_UNPLUGGED: "Mất kết nối máy in",
    DeviceProblem.CAMERA_MISSING: "Không thấy camera",
}


def device_problem_text(code: str) -> str:
    """The Vietnamese of a device's problem (an unknown code, from a newer device, is shown as it is)."""
    try:
        return DEVICE_PROBLEMS[DeviceProblem(code)]
    except ValueError:
        return code


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


#: English for the console's option (a Vietnamese text -> its English); a text missing here is shown in Vietnamese.
EN: dict[str, str] = {
    # actions and states
    "Gọi tiếp": "Next",
    "Gọi lại": "Recall",
    "Vắng mặt": "No-show",
    "Xong": "Finish",
    "Chuyển dịch vụ": "Transfer",
    "Gọi phiếu này": "Call this ticket",
    "Tạm nghỉ": "Pause",
    "Tiếp tục": "Resume",
    "Nhận quầy": "Take the counter",
    "Rời quầy": "Leave the counter",
    "Đang làm việc": "Open",
    "Đóng": "Closed",
    "Người cao tuổi": "Elderly",
    "Người khuyết tật": "Disabled",
    "Phụ nữ mang thai": "Pregnant",
    "Người đi cùng trẻ nhỏ": "With a small child",
    "Người có công với cách mạng": "Meritorious service",
    # pages
    "Bảng điều khiển": "Console",
    "Cán bộ": "Officer",
    "Quản lý": "Manager",
    "Quản trị": "Admin",
    "Quầy": "Counter",
    "Toàn cảnh": "The hall",
    "Toàn cảnh bộ phận": "The hall",
    "Báo cáo": "Reports",
    "Tài khoản": "Accounts",
    "Đăng xuất": "Sign out",
    "Đăng nhập": "Sign in",
    "Tên đăng nhập": "Username",
    "Mật khẩu": "Password",
    "Không có quyền": "Not allowed",
    "Chọn quầy": "Choose a counter",
    "Chọn quầy làm việc": "Choose your counter",
    "Máy này sẽ ghi nhớ quầy bạn chọn.": "This computer will remember the counter you choose.",
    "Đang trống": "Free",
    "Thao tác": "Actions",
    "Mã hồ sơ": "Dossier code",
    "Xong, lưu mã hồ sơ": "Finish with dossier code",
    "Chuyển sang": "Transfer to",
    "Lý do": "Reason",
    "Nghỉ giải lao, họp…": "Break, meeting…",
    "Phím tắt: N gọi tiếp · R gọi lại · V vắng mặt · X xong · T chuyển · P tạm nghỉ/tiếp tục": (
        "Shortcuts: N next · R recall · V no-show · X finish · T transfer · P pause/resume"
    ),
    "Mất kết nối với máy chủ tin nhắn: thông tin có thể đã cũ.": (
        "Disconnected from the hall's broker: this may be out of date."
    ),
    "Dịch vụ": "Service",
    "Thủ tục": "Procedure",
    "Ưu tiên": "Priority",
    "Đã phục vụ": "Serving for",
    "phút": "min",
    "gọi lại": "recalled",
    "Chưa phục vụ ai.": "Nobody at the desk.",
    "Đang chờ": "Waiting",
    "chờ lâu nhất": "longest wait",
    "Số": "Number",
    "Chờ": "Waiting",
    "Gọi": "Call",
    "Không có ai đang chờ.": "Nobody is waiting.",
    "Thông báo trên bảng": "Notice on the board",
    "Cập nhật": "Update",
    "Hôm nay: đã cấp {issued} phiếu · đã phục vụ {served} · vắng mặt {no_show}": (
        "Today: {issued} tickets issued · {served} served · {no_show} no-shows"
    ),
    "Mức độ hài lòng hôm nay:": "Satisfaction today:",
    "hài lòng": "satisfied",
    "{n} đánh giá: {s} hài lòng, {m} bình thường, {u} không hài lòng": (
        "{n} ratings: {s} satisfied, {m} neutral, {u} unsatisfied"
    ),
    "chưa có đánh giá": "no ratings yet",
    "Cảnh báo": "Alerts",
    "từ": "since",
    "Không có cảnh báo.": "No alerts.",
    "Cảnh báo đã qua": "Past alerts",
    "Chờ lâu nhất": "Longest wait",
    "Ước tính": "Estimate",
    "Trạng thái": "Status",
    "Đang phục vụ": "Serving",
    "Thiết bị": "Devices",
    "Loại": "Kind",
    "Từ lúc": "Since",
    "Trực tuyến": "Online",
    "Mất kết nối": "Offline",
    "Sự cố": "Problems",
    "Hết giấy": "Out of paper",
    "Sắp hết giấy": "Paper low",
    "Máy in báo lỗi": "Printer error",
    "Mất kết nối máy in": "Printer disconnected",
    "Không thấy camera": "Camera not found",
    "Kỳ báo cáo": "Period",
    "Ngày": "Day",
    "Tuần": "Week",
    "Tháng": "Month",
    "Một ngày trong kỳ (để trống: kỳ gần nhất đã kết thúc)": "A day in the period (empty: the last complete one)",
    "Theo": "By",
    "Toàn bộ phận": "Whole hall",
    "Định dạng": "Format",
    "Xem (HTML, in A4)": "View (HTML, A4 print)",
    "Tải CSV (zip)": "Download CSV (zip)",
    "Lập báo cáo": "Make the report",
    "Báo cáo do chính gói báo cáo của hệ thống lập (như lệnh motcua report), không tính lại ở đây.": (
        "The report is made by the system's report package (as motcua report): nothing is recomputed here."
    ),
    # accounts (admin)
    "Họ tên": "Full name",
    "Vai trò": "Role",
    "Đã khoá": "Disabled",
    "Hoạt động": "Active",
    "Mở khoá": "Enable",
    "Khoá": "Disable",
    "Mật khẩu mới": "New password",
    "Đặt lại": "Reset",
    "Cán bộ trong hall.toml chưa có tài khoản:": "Officers in hall.toml without an account:",
    "Tạo tài khoản": "Create an account",
    "Cán bộ (hall.toml)": "Officer (hall.toml)",
    "Mật khẩu (ít nhất 10 ký tự)": "Password (at least 10 characters)",
    "Tạo": "Create",
    # messages
    LOGIN_FAILED: "Wrong username or password.",
    LOGIN_LIMITED: "Too many failed sign-ins. Please try again in {minutes} minutes.",
    CSRF_FAILED: "Your session changed. Reload the page and try again.",
    FORBIDDEN: "Your account may not see this page.",
    OFFICER_ELSEWHERE: "You are signed in at {counter}. Leave that counter before taking another.",
    COUNTER_TAKEN: "{counter} is held by {officer}. One officer per counter at a time.",
    NOT_AT_COUNTER: "You hold no counter, or it was given to someone else.",
    BAD_DOSSIER_CODE: "Invalid dossier code: up to 64 printable characters. The ticket was not finished.",
    "Đã nhận {counter}.": "You took {counter}.",
    "Đã rời quầy.": "You left the counter.",
    "Đã gọi số {label}.": "Called {label}.",
    "Đã gọi lại số {label}.": "Called {label} again.",
    "Đã ghi vắng mặt.": "Marked as no-show.",
    "Đã xong phiếu.": "Ticket finished.",
    "Đã chuyển phiếu.": "Ticket transferred.",
    "Quầy đang tạm nghỉ.": "The counter is paused.",
    "Quầy tiếp tục làm việc.": "The counter is open again.",
    "Đã cập nhật thông báo trên bảng.": "The board's notice is updated.",
    "Đã xoá thông báo.": "The notice is removed.",
    COMMAND_FAILED["not_connected"]: "Not connected to the hall's broker. Nothing was sent; try again later.",
    COMMAND_FAILED["timeout"]: "The coordinator did not answer. The command was not applied (and never will be).",
    "Không còn ai đang chờ cho quầy này.": "Nobody is waiting for this counter.",
    "Quầy chưa phục vụ phiếu nào.": "The counter is not serving anyone.",
    "Cần gọi lại đủ số lần trước khi đánh dấu vắng mặt.": "Recall the required number of times before a no-show.",
    "Phiếu này không còn chờ ở quầy của bạn.": "That ticket is no longer waiting for your counter.",
    "Lệnh không thực hiện được.": "The command could not be done.",
    "Đã tạo tài khoản {username}.": "Account {username} created.",
    "Đã đặt lại mật khẩu cho {username}.": "Password of {username} reset.",
    "Đã khoá {username}.": "{username} disabled.",
    "Đã mở khoá {username}.": "{username} enabled.",
    "Không thực hiện được: {reason}": "Not done: {reason}",
    # the province mode
    "Cấp tỉnh": "Province",
    "Cổng tỉnh": "Province",
    "Các đơn vị": "Halls",
    "Xem cảnh báo": "See the alerts",
    "{online}/{total} trung tâm đang kết nối · {alerts} cảnh báo": "{online}/{total} halls connected · {alerts} alerts",
    "Số liệu hôm nay, tính như báo cáo của tỉnh. Cập nhật lúc {time}, tự làm mới mỗi {seconds} giây.": (
        "Today's figures, counted as the province's report counts them. Read at {time}, refreshed every {seconds} s."
    ),
    "Cập nhật lúc {time}, tự làm mới mỗi {seconds} giây.": "Read at {time}, refreshed every {seconds} s.",
    "Trung tâm": "Hall",
    "Kết nối": "Connection",
    "Sự kiện mới nhất": "Latest event",
    "Đã cấp": "Issued",
    "Đã phục vụ xong": "Served",
    "Chưa xong": "Open",
    "Chờ TB (phút)": "Mean wait (min)",
    "Hài lòng": "Satisfied",
    "{n} trung tâm": "{n} halls",
    "Mất kết nối từ {time}": "Offline since {time}",
    "Chưa kết nối": "Never connected",
    "Sắp xếp:": "Order:",
    "theo đơn vị": "by unit",
    "mất kết nối trước": "offline first",
    "hài lòng thấp trước": "least satisfied first",
    "thiếu {n} sự kiện": "{n} events missing",
    "{n} đánh giá": "{n} ratings",
    "thiếu hall.toml: chưa tính": "no hall.toml: not computed",
    "không tính được số liệu (xem nhật ký máy chủ)": "figures not computed (see the server's log)",
    "Chưa có trung tâm nào trong danh sách.": "No hall in the registry yet.",
    "mất kết nối từ {time} ({minutes} phút)": "offline since {time} ({minutes} min)",
    "thiếu {missing} sự kiện (số {first}–{last}, đã nhận đến số {highest}) từ {time}": (
        "{missing} events missing (numbers {first}–{last}, received up to {highest}) since {time}"
    ),
    "hài lòng hôm nay {pct}% ({rated} đánh giá), dưới ngưỡng {threshold}%": (
        "satisfied today {pct}% ({rated} ratings), below the threshold of {threshold}%"
    ),
    "Ngưỡng: mất kết nối quá {offline} phút; thiếu sự kiện quá {gap} phút; hài lòng dưới {pct}% khi đã có ít nhất "
    "{minimum} đánh giá trong ngày.": (
        "Thresholds: offline longer than {offline} min; events missing longer than {gap} min; satisfied below "
        "{pct}% once a day has at least {minimum} ratings."
    ),
    "Báo cáo của tỉnh": "The province's report",
    "Tự chọn (từ ngày, đến ngày)": "Chosen days (from, to)",
    "Từ ngày (tự chọn)": "From (chosen days)",
    "Đến ngày (tự chọn)": "To (chosen days)",
    "Ngôn ngữ của tệp": "Language of the files",
    "Xem tóm tắt": "View the summary",
    "Tải các tệp CSV (zip)": "Download the CSV files (zip)",
    "Các tệp và số liệu do chính lệnh motcua report --province lập, không tính lại ở đây.": (
        "The files and figures are made by motcua report --province itself, not recomputed here."
    ),
    "Không lập được báo cáo: {reason}": "The report could not be made: {reason}",
    "Không đọc được cơ sở dữ liệu của tỉnh lúc {time}: số liệu dưới đây là của lần đọc trước.": (
        "The province's database could not be read at {time}: the figures below are from the reading before."
    ),
    "Không đọc được cơ sở dữ liệu của tỉnh. Vui lòng thử lại sau ít phút.": (
        "The province's database cannot be read. Please try again in a few minutes."
    ),
}


def translator(lang: str) -> Callable[[str], str]:
    """The `t()` of the templates: Vietnamese as written, or its English when the page is in English."""
    if lang != "en":
        return lambda text: text
    return lambda text: EN.get(text, text)
