// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Pausable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Pausable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/**
 * @title LoyaltyPoints
 * @notice The points of one loyalty program as an ERC-20 token that members own.
 * @dev Points are minted in batches by the program's settlement service (MINTER_ROLE). No role can
 * move or burn a holder's points: redemptions and withdrawals are authorised by the holder's own
 * EIP-712 signature and merely relayed (and paid for) by the operator, so members never need gas.
 *
 * One nonce sequence per holder (OpenZeppelin `Nonces`) is shared by EIP-2612 `permit`, signed burns
 * and signed transfers, so any signature of a holder can be used at most once and in order.
 */
contract LoyaltyPoints is ERC20, ERC20Pausable, ERC20Permit, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    bytes32 public constant BURN_TYPEHASH =
        keccak256("Burn(address owner,uint256 value,uint256 nonce,uint256 deadline)");
    bytes32 public constant TRANSFER_TYPEHASH =
        keccak256("Transfer(address owner,address to,uint256 value,uint256 nonce,uint256 deadline)");

    /// @dev One holder-signed burn inside {burnBatchWithSignature}.
    struct SignedBurn {
        address owner;
        uint256 value;
        uint256 nonce;
        uint256 deadline;
        bytes signature;
    }

    uint8 private immutable _decimals;

    /// @dev `mintBatch` was called with arrays of different lengths.
    error LoyaltyPointsLengthMismatch(uint256 recipients, uint256 amounts);
    /// @dev A batch call carried no entries.
    error LoyaltyPointsEmptyBatch();
    /// @dev A mint of zero points at `index`: always a bug in the caller's batching.
    error LoyaltyPointsZeroAmount(uint256 index);
    /// @dev The signature's deadline has passed.
    error LoyaltyPointsExpiredSignature(uint256 deadline);
    /// @dev The nonce in the request is not the holder's next nonce (replayed or out of order).
    error LoyaltyPointsInvalidNonce(address owner, uint256 nonce);
    /// @dev The signature does not recover to the holder (wrong key, chain, contract or payload).
    error LoyaltyPointsInvalidSigner(address signer, address owner);

    /// @dev A signed burn in a batch was skipped; `reason` is the selector of the error it would raise.
    event SignedBurnSkipped(uint256 indexed index, address indexed owner, uint256 nonce, bytes4 reason);

    /**
     * @param name_ token name, also the EIP-712 domain name.
     * @param symbol_ token symbol.
     * @param decimals_ decimals; loyalty points are usually whole, so 0 is typical.
     * @param admin receives DEFAULT_ADMIN_ROLE and can grant the minter and pauser roles.
     */
    constructor(string memory name_, string memory symbol_, uint8 decimals_, address admin)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
    {
        _decimals = decimals_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /**
     * @dev Mints `amounts[i]` to `to[i]` for every i in one transaction.
     *
     * Requirements:
     * - the caller has MINTER_ROLE; the contract is not paused;
     * - `to` and `amounts` are non-empty and of equal length;
     * - no recipient is the zero address and no amount is zero.
     *
     * Emits a {Transfer} event from the zero address per entry.
     */
    function mintBatch(address[] calldata to, uint256[] calldata amounts) external onlyRole(MINTER_ROLE) {
        uint256 n = to.length;
        if (n == 0) revert LoyaltyPointsEmptyBatch();
        if (n != amounts.length) revert LoyaltyPointsLengthMismatch(n, amounts.length);
        for (uint256 i = 0; i < n; ++i) {
            uint256 amount = amounts[i];
            if (amount == 0) revert LoyaltyPointsZeroAmount(i);
            _mint(to[i], amount);
        }
    }

    /**
     * @dev Burns `value` of `owner`'s points, authorised by `owner`'s EIP-712 `Burn` signature.
     * Anyone may relay it; the signature is the authorisation.
     *
     * Requirements:
     * - `deadline` has not passed; `nonce` is `owner`'s next nonce;
     * - `signature` recovers to `owner` under this chain's and this contract's domain;
     * - `owner` holds at least `value`; the contract is not paused.
     *
     * Emits a {Transfer} event to the zero address.
     */
    function burnWithSignature(address owner, uint256 value, uint256 nonce, uint256 deadline, bytes calldata signature)
        external
    {
        bytes4 failure = _checkSignedBurn(owner, value, nonce, deadline, signature);
        if (failure != bytes4(0)) _raise(failure, owner, nonce, deadline, signature, value);
        _useNonce(owner);
        _burn(owner, value);
    }

    /**
     * @dev Executes many holder-signed burns in one transaction. An entry that would fail (expired,
     * replayed, bad signature, balance too low) is skipped with {SignedBurnSkipped} instead of reverting
     * the batch, so one member cannot block everybody else's redemption (for instance by front-running
     * their own signature or moving their points away after signing).
     *
     * Requirements:
     * - `burns` is not empty; the contract is not paused.
     *
     * Emits a {Transfer} to the zero address per executed entry and {SignedBurnSkipped} per skipped one.
     */
    function burnBatchWithSignature(SignedBurn[] calldata burns) external whenNotPaused {
        uint256 n = burns.length;
        if (n == 0) revert LoyaltyPointsEmptyBatch();
        for (uint256 i = 0; i < n; ++i) {
            SignedBurn calldata b = burns[i];
            bytes4 failure = _checkSignedBurn(b.owner, b.value, b.nonce, b.deadline, b.signature);
            if (failure != bytes4(0)) {
                emit SignedBurnSkipped(i, b.owner, b.nonce, failure);
                continue;
            }
            _useNonce(b.owner);
            _burn(b.owner, b.value);
        }
    }

    /**
     * @dev Moves `value` of `owner`'s points to `to`, authorised by `owner`'s EIP-712 `Transfer`
     * signature; used to withdraw a custodial balance to the member's own wallet without gas.
     *
     * Requirements:
     * - `deadline` has not passed; `nonce` is `owner`'s next nonce;
     * - `signature` recovers to `owner`; `owner` holds at least `value`; the contract is not paused.
     *
     * Emits a {Transfer} event.
     */
    function transferWithSignature(
        address owner,
        address to,
        uint256 value,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        if (block.timestamp > deadline) revert LoyaltyPointsExpiredSignature(deadline);
        if (nonce != nonces(owner)) revert LoyaltyPointsInvalidNonce(owner, nonce);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(TRANSFER_TYPEHASH, owner, to, value, nonce, deadline)));
        (address signer,,) = ECDSA.tryRecover(digest, signature);
        if (signer != owner || signer == address(0)) revert LoyaltyPointsInvalidSigner(signer, owner);
        _useNonce(owner);
        _transfer(owner, to, value);
    }

    /**
     * @dev Stops every mint, burn and transfer until {unpause}.
     *
     * Requirements: the caller has PAUSER_ROLE.
     */
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @dev Requirements: the caller has PAUSER_ROLE.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /**
     * @dev Returns bytes4(0) when the signed burn can execute, else the selector of the error that
     * describes why not. Shared by the single (reverting) and the batch (skipping) entry points.
     */
    function _checkSignedBurn(address owner, uint256 value, uint256 nonce, uint256 deadline, bytes calldata signature)
        private
        view
        returns (bytes4)
    {
        if (block.timestamp > deadline) return LoyaltyPointsExpiredSignature.selector;
        if (nonce != nonces(owner)) return LoyaltyPointsInvalidNonce.selector;
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(BURN_TYPEHASH, owner, value, nonce, deadline)));
        (address signer,,) = ECDSA.tryRecover(digest, signature);
        if (signer != owner || signer == address(0)) return LoyaltyPointsInvalidSigner.selector;
        if (balanceOf(owner) < value) return ERC20InsufficientBalance.selector;
        return bytes4(0);
    }

    /// @dev Reverts with the full custom error matching `failure` (for the single, reverting entry point).
    function _raise(bytes4 failure, address owner, uint256 nonce, uint256 deadline, bytes calldata signature, uint256 value)
        private
        view
    {
        if (failure == LoyaltyPointsExpiredSignature.selector) revert LoyaltyPointsExpiredSignature(deadline);
        if (failure == LoyaltyPointsInvalidNonce.selector) revert LoyaltyPointsInvalidNonce(owner, nonce);
        if (failure == ERC20InsufficientBalance.selector) {
            revert ERC20InsufficientBalance(owner, balanceOf(owner), value);
        }
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(BURN_TYPEHASH, owner, value, nonce, deadline)));
        (address signer,,) = ECDSA.tryRecover(digest, signature);
        revert LoyaltyPointsInvalidSigner(signer, owner);
    }

    /// @dev Pausing halts every balance change, including mints and signed burns.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Pausable) {
        super._update(from, to, value);
    }
}
